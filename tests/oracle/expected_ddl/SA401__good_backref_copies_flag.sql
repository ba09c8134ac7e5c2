-- SA401/good_backref_copies_flag: create_all() then drop_all() on PostgreSQL
-- whitespace collapsed; each run of ALTER TABLE statements sorted (their order follows PYTHONHASHSEED)
-- create_all
CREATE TABLE department (id SERIAL NOT NULL, name VARCHAR(50), manager_id INTEGER, PRIMARY KEY (id))
CREATE TABLE employee (id SERIAL NOT NULL, name VARCHAR(50), department_id INTEGER, PRIMARY KEY (id))
ALTER TABLE department ADD CONSTRAINT fk_department_manager FOREIGN KEY(manager_id) REFERENCES employee (id)
ALTER TABLE employee ADD CONSTRAINT fk_employee_department FOREIGN KEY(department_id) REFERENCES department (id)
-- drop_all
ALTER TABLE department DROP CONSTRAINT fk_department_manager
ALTER TABLE employee DROP CONSTRAINT fk_employee_department
DROP TABLE employee
DROP TABLE department
