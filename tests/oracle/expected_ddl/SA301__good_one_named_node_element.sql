-- SA301/good_one_named_node_element: create_all() then drop_all() on PostgreSQL
-- whitespace collapsed; each run of ALTER TABLE statements sorted (their order follows PYTHONHASHSEED)
-- create_all
CREATE TABLE node (node_id SERIAL NOT NULL, primary_element INTEGER, PRIMARY KEY (node_id))
CREATE TABLE element (element_id SERIAL NOT NULL, parent_node_id INTEGER, PRIMARY KEY (element_id))
ALTER TABLE element ADD CONSTRAINT fk_element_parent_node_id FOREIGN KEY(parent_node_id) REFERENCES node (node_id)
ALTER TABLE node ADD FOREIGN KEY(primary_element) REFERENCES element (element_id)
-- drop_all
ALTER TABLE element DROP CONSTRAINT fk_element_parent_node_id
DROP TABLE node
DROP TABLE element
