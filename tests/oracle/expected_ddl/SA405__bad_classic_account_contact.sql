-- SA405/bad_classic_account_contact: create_all() then drop_all() on PostgreSQL
-- whitespace collapsed; each run of ALTER TABLE statements sorted (their order follows PYTHONHASHSEED)
-- create_all
CREATE TABLE account (id INTEGER NOT NULL, name VARCHAR(100) NOT NULL, primary_contact_no INTEGER, PRIMARY KEY (id))
CREATE TABLE contact (account_id INTEGER NOT NULL, contact_no INTEGER NOT NULL, email VARCHAR(200), PRIMARY KEY (account_id, contact_no))
ALTER TABLE account ADD CONSTRAINT fk_account_primary_contact FOREIGN KEY(id, primary_contact_no) REFERENCES contact (account_id, contact_no)
ALTER TABLE contact ADD FOREIGN KEY(account_id) REFERENCES account (id)
-- drop_all
ALTER TABLE account DROP CONSTRAINT fk_account_primary_contact
DROP TABLE contact
DROP TABLE account
