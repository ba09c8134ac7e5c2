-- SA405/bad_core_warehouse_two_files: create_all() then drop_all() on PostgreSQL
-- whitespace collapsed; each run of ALTER TABLE statements sorted (their order follows PYTHONHASHSEED)
-- create_all
CREATE TABLE bin (warehouse_id INTEGER NOT NULL, bin_no INTEGER NOT NULL, label VARCHAR(20), PRIMARY KEY (warehouse_id, bin_no))
CREATE TABLE warehouse (id INTEGER NOT NULL, name VARCHAR(100) NOT NULL, default_bin_no INTEGER, PRIMARY KEY (id))
ALTER TABLE bin ADD FOREIGN KEY(warehouse_id) REFERENCES warehouse (id)
ALTER TABLE warehouse ADD CONSTRAINT fk_warehouse_default_bin FOREIGN KEY(id, default_bin_no) REFERENCES bin (warehouse_id, bin_no)
-- drop_all
ALTER TABLE warehouse DROP CONSTRAINT fk_warehouse_default_bin
DROP TABLE bin
DROP TABLE warehouse
