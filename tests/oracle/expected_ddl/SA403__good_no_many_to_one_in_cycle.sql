-- SA403/good_no_many_to_one_in_cycle: create_all() then drop_all() on PostgreSQL
-- whitespace collapsed; each run of ALTER TABLE statements sorted (their order follows PYTHONHASHSEED)
-- create_all
CREATE TABLE widget (widget_id SERIAL NOT NULL, name VARCHAR(50), favorite_entry_id INTEGER, PRIMARY KEY (widget_id))
CREATE TABLE entry (entry_id SERIAL NOT NULL, name VARCHAR(50), widget_id INTEGER, PRIMARY KEY (entry_id))
ALTER TABLE entry ADD FOREIGN KEY(widget_id) REFERENCES widget (widget_id)
ALTER TABLE widget ADD CONSTRAINT fk_favorite_entry FOREIGN KEY(favorite_entry_id) REFERENCES entry (entry_id)
-- drop_all
ALTER TABLE widget DROP CONSTRAINT fk_favorite_entry
DROP TABLE entry
DROP TABLE widget
