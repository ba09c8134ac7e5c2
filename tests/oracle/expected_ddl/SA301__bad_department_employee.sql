-- SA301/bad_department_employee: create_all() then drop_all() on PostgreSQL
-- whitespace collapsed; each run of ALTER TABLE statements sorted (their order follows PYTHONHASHSEED)
-- create_all
CREATE TABLE department (id SERIAL NOT NULL, name VARCHAR(50), manager_id INTEGER, PRIMARY KEY (id))
CREATE TABLE employee (id SERIAL NOT NULL, name VARCHAR(50), department_id INTEGER, PRIMARY KEY (id))
ALTER TABLE department ADD FOREIGN KEY(manager_id) REFERENCES employee (id)
ALTER TABLE employee ADD FOREIGN KEY(department_id) REFERENCES department (id)
-- drop_all
-- drop_all raised CircularDependencyError: Can't sort tables for DROP; an unresolvable foreign key dependency exists between tables: department, employee. Please ensure that the ForeignKey and ForeignKeyConstraint objects involved in the cycle have names so that they can be dropped using DROP CONSTRAINT.
