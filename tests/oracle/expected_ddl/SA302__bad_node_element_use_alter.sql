-- SA302/bad_node_element_use_alter: create_all() then drop_all() on PostgreSQL
-- whitespace collapsed; each run of ALTER TABLE statements sorted (their order follows PYTHONHASHSEED)
-- create_all
CREATE TABLE element (element_id SERIAL NOT NULL, parent_node_id INTEGER, PRIMARY KEY (element_id))
CREATE TABLE node (node_id SERIAL NOT NULL, primary_element INTEGER, PRIMARY KEY (node_id), FOREIGN KEY(primary_element) REFERENCES element (element_id))
ALTER TABLE element ADD FOREIGN KEY(parent_node_id) REFERENCES node (node_id)
-- drop_all
-- drop_all raised CompileError: Can't emit DROP CONSTRAINT for constraint ForeignKeyConstraint(...); it has no name
