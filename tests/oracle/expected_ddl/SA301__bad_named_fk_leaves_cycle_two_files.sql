-- SA301/bad_named_fk_leaves_cycle_two_files: create_all() then drop_all() on PostgreSQL
-- whitespace collapsed; each run of ALTER TABLE statements sorted (their order follows PYTHONHASHSEED)
-- create_all
CREATE TABLE company (id SERIAL NOT NULL, name VARCHAR(100) NOT NULL, headquarters_id INTEGER, PRIMARY KEY (id))
CREATE TABLE office (id SERIAL NOT NULL, city VARCHAR(100) NOT NULL, company_id INTEGER, manager_id INTEGER, PRIMARY KEY (id))
CREATE TABLE employee (id SERIAL NOT NULL, name VARCHAR(100) NOT NULL, office_id INTEGER, PRIMARY KEY (id))
ALTER TABLE company ADD CONSTRAINT fk_company_headquarters_id_office FOREIGN KEY(headquarters_id) REFERENCES office (id)
ALTER TABLE employee ADD FOREIGN KEY(office_id) REFERENCES office (id)
ALTER TABLE office ADD FOREIGN KEY(company_id) REFERENCES company (id)
ALTER TABLE office ADD FOREIGN KEY(manager_id) REFERENCES employee (id)
-- drop_all
-- drop_all raised CircularDependencyError: Can't sort tables for DROP; an unresolvable foreign key dependency exists between tables: employee, office. Please ensure that the ForeignKey and ForeignKeyConstraint objects involved in the cycle have names so that they can be dropped using DROP CONSTRAINT.
