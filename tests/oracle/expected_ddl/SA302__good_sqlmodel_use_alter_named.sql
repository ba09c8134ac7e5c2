-- SA302/good_sqlmodel_use_alter_named: create_all() then drop_all() on PostgreSQL
-- whitespace collapsed; each run of ALTER TABLE statements sorted (their order follows PYTHONHASHSEED)
-- create_all
CREATE TABLE folder (id SERIAL NOT NULL, name VARCHAR NOT NULL, index_page_id INTEGER, PRIMARY KEY (id))
CREATE TABLE page (id SERIAL NOT NULL, title VARCHAR NOT NULL, folder_id INTEGER, PRIMARY KEY (id), FOREIGN KEY(folder_id) REFERENCES folder (id))
ALTER TABLE folder ADD CONSTRAINT fk_folder_index_page_id_page FOREIGN KEY(index_page_id) REFERENCES page (id)
-- drop_all
ALTER TABLE folder DROP CONSTRAINT fk_folder_index_page_id_page
DROP TABLE page
DROP TABLE folder
