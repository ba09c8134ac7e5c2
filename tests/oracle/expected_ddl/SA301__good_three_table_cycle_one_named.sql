-- SA301/good_three_table_cycle_one_named: create_all() then drop_all() on PostgreSQL
-- whitespace collapsed; each run of ALTER TABLE statements sorted (their order follows PYTHONHASHSEED)
-- create_all
CREATE TABLE project (id SERIAL NOT NULL, title VARCHAR(200) NOT NULL, current_release_id INTEGER, PRIMARY KEY (id))
CREATE TABLE milestone (id SERIAL NOT NULL, title VARCHAR(200) NOT NULL, project_id INTEGER, PRIMARY KEY (id))
CREATE TABLE release (id SERIAL NOT NULL, version VARCHAR(20) NOT NULL, milestone_id INTEGER, PRIMARY KEY (id))
ALTER TABLE milestone ADD FOREIGN KEY(project_id) REFERENCES project (id)
ALTER TABLE project ADD CONSTRAINT fk_project_current_release_id_release FOREIGN KEY(current_release_id) REFERENCES release (id)
ALTER TABLE release ADD FOREIGN KEY(milestone_id) REFERENCES milestone (id)
-- drop_all
ALTER TABLE project DROP CONSTRAINT fk_project_current_release_id_release
DROP TABLE release
DROP TABLE milestone
DROP TABLE project
