-- SA403/bad_widget_entry_flag_on_entries: create_all() then drop_all() on PostgreSQL
-- whitespace collapsed; each run of ALTER TABLE statements sorted (their order follows PYTHONHASHSEED)
-- create_all
CREATE TABLE entry (entry_id SERIAL NOT NULL, widget_id INTEGER, name VARCHAR(50), PRIMARY KEY (entry_id))
CREATE TABLE widget (widget_id SERIAL NOT NULL, favorite_entry_id INTEGER, name VARCHAR(50), PRIMARY KEY (widget_id))
ALTER TABLE entry ADD FOREIGN KEY(widget_id) REFERENCES widget (widget_id)
ALTER TABLE widget ADD CONSTRAINT fk_favorite_entry FOREIGN KEY(favorite_entry_id) REFERENCES entry (entry_id)
-- drop_all
ALTER TABLE widget DROP CONSTRAINT fk_favorite_entry
DROP TABLE entry
DROP TABLE widget
