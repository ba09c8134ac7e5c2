-- SA302/bad_use_alter_two_files: create_all() then drop_all() on PostgreSQL
-- whitespace collapsed; each run of ALTER TABLE statements sorted (their order follows PYTHONHASHSEED)
-- create_all
CREATE TABLE category (id SERIAL NOT NULL, name VARCHAR(100) NOT NULL, featured_product_id INTEGER, PRIMARY KEY (id))
CREATE TABLE product (id SERIAL NOT NULL, title VARCHAR(200) NOT NULL, category_id INTEGER, PRIMARY KEY (id), FOREIGN KEY(category_id) REFERENCES category (id))
ALTER TABLE category ADD FOREIGN KEY(featured_product_id) REFERENCES product (id)
-- drop_all
-- drop_all raised CompileError: Can't emit DROP CONSTRAINT for constraint ForeignKeyConstraint(...); it has no name
