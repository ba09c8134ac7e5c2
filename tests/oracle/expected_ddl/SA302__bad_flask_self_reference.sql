-- SA302/bad_flask_self_reference: create_all() then drop_all() on PostgreSQL
-- whitespace collapsed; each run of ALTER TABLE statements sorted (their order follows PYTHONHASHSEED)
-- create_all
CREATE TABLE comment (id SERIAL NOT NULL, body TEXT NOT NULL, parent_id INTEGER, PRIMARY KEY (id))
ALTER TABLE comment ADD FOREIGN KEY(parent_id) REFERENCES comment (id)
-- drop_all
-- drop_all raised CompileError: Can't emit DROP CONSTRAINT for constraint ForeignKeyConstraint(...); it has no name
