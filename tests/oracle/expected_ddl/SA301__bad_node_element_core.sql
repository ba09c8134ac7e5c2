-- SA301/bad_node_element_core: create_all() then drop_all() on PostgreSQL
-- whitespace collapsed; each run of ALTER TABLE statements sorted (their order follows PYTHONHASHSEED)
-- create_all
CREATE TABLE node (node_id SERIAL NOT NULL, primary_element INTEGER, PRIMARY KEY (node_id))
CREATE TABLE element (element_id SERIAL NOT NULL, parent_node_id INTEGER, PRIMARY KEY (element_id))
ALTER TABLE element ADD FOREIGN KEY(parent_node_id) REFERENCES node (node_id)
ALTER TABLE node ADD FOREIGN KEY(primary_element) REFERENCES element (element_id)
-- drop_all
-- drop_all raised CircularDependencyError: Can't sort tables for DROP; an unresolvable foreign key dependency exists between tables: element, node. Please ensure that the ForeignKey and ForeignKeyConstraint objects involved in the cycle have names so that they can be dropped using DROP CONSTRAINT.
