-- SA301/good_flask_convention_two_files: create_all() then drop_all() on PostgreSQL
-- whitespace collapsed; each run of ALTER TABLE statements sorted (their order follows PYTHONHASHSEED)
-- create_all
CREATE TABLE project (id SERIAL NOT NULL, title VARCHAR(200) NOT NULL, owner_id INTEGER, CONSTRAINT pk_project PRIMARY KEY (id))
CREATE TABLE "user" (id SERIAL NOT NULL, username VARCHAR(80) NOT NULL, current_project_id INTEGER, CONSTRAINT pk_user PRIMARY KEY (id), CONSTRAINT uq_user_username UNIQUE (username))
ALTER TABLE "user" ADD CONSTRAINT fk_user_current_project_id_project FOREIGN KEY(current_project_id) REFERENCES project (id)
ALTER TABLE project ADD CONSTRAINT fk_project_owner_id_user FOREIGN KEY(owner_id) REFERENCES "user" (id)
-- drop_all
ALTER TABLE "user" DROP CONSTRAINT fk_user_current_project_id_project
ALTER TABLE project DROP CONSTRAINT fk_project_owner_id_user
DROP TABLE "user"
DROP TABLE project
