-- SA401/bad_three_class_cycle: create_all() then drop_all() on PostgreSQL
-- whitespace collapsed; each run of ALTER TABLE statements sorted (their order follows PYTHONHASHSEED)
-- create_all
CREATE TABLE customer (id SERIAL NOT NULL, name VARCHAR(100) NOT NULL, default_payment_method_id INTEGER, PRIMARY KEY (id))
CREATE TABLE payment_method (id SERIAL NOT NULL, label VARCHAR(50) NOT NULL, billing_address_id INTEGER, PRIMARY KEY (id))
CREATE TABLE address (id SERIAL NOT NULL, street VARCHAR(200) NOT NULL, customer_id INTEGER, PRIMARY KEY (id))
ALTER TABLE address ADD CONSTRAINT fk_address_customer FOREIGN KEY(customer_id) REFERENCES customer (id)
ALTER TABLE customer ADD CONSTRAINT fk_customer_default_payment_method FOREIGN KEY(default_payment_method_id) REFERENCES payment_method (id)
ALTER TABLE payment_method ADD CONSTRAINT fk_payment_method_billing_address FOREIGN KEY(billing_address_id) REFERENCES address (id)
-- drop_all
ALTER TABLE address DROP CONSTRAINT fk_address_customer
ALTER TABLE customer DROP CONSTRAINT fk_customer_default_payment_method
ALTER TABLE payment_method DROP CONSTRAINT fk_payment_method_billing_address
DROP TABLE address
DROP TABLE payment_method
DROP TABLE customer
