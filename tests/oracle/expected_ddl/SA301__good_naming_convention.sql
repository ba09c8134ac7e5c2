-- SA301/good_naming_convention: create_all() then drop_all() on PostgreSQL
-- whitespace collapsed; each run of ALTER TABLE statements sorted (their order follows PYTHONHASHSEED)
-- create_all
CREATE TABLE customer (id SERIAL NOT NULL, name VARCHAR(100) NOT NULL, default_address_id INTEGER, CONSTRAINT pk_customer PRIMARY KEY (id))
CREATE TABLE address (id SERIAL NOT NULL, street VARCHAR(200) NOT NULL, customer_id INTEGER, CONSTRAINT pk_address PRIMARY KEY (id))
ALTER TABLE address ADD CONSTRAINT fk_address_customer_id_customer FOREIGN KEY(customer_id) REFERENCES customer (id)
ALTER TABLE customer ADD CONSTRAINT fk_customer_default_address_id_address FOREIGN KEY(default_address_id) REFERENCES address (id)
-- drop_all
ALTER TABLE address DROP CONSTRAINT fk_address_customer_id_customer
ALTER TABLE customer DROP CONSTRAINT fk_customer_default_address_id_address
DROP TABLE address
DROP TABLE customer
