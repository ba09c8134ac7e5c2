-- SA405/bad_widget_favorite_composite: create_all() then drop_all() on PostgreSQL
-- whitespace collapsed; each run of ALTER TABLE statements sorted (their order follows PYTHONHASHSEED)
-- create_all
CREATE TABLE entry (entry_id SERIAL NOT NULL, widget_id INTEGER, name VARCHAR(50), PRIMARY KEY (entry_id), UNIQUE (entry_id, widget_id))
CREATE TABLE widget (widget_id INTEGER NOT NULL, favorite_entry_id INTEGER, name VARCHAR(50), PRIMARY KEY (widget_id))
ALTER TABLE entry ADD FOREIGN KEY(widget_id) REFERENCES widget (widget_id)
ALTER TABLE widget ADD CONSTRAINT fk_favorite_entry FOREIGN KEY(widget_id, favorite_entry_id) REFERENCES entry (widget_id, entry_id)
-- drop_all
ALTER TABLE widget DROP CONSTRAINT fk_favorite_entry
DROP TABLE entry
DROP TABLE widget
