-- SA403/good_flag_on_pair_with_many_to_one: create_all() then drop_all() on PostgreSQL
-- whitespace collapsed; each run of ALTER TABLE statements sorted (their order follows PYTHONHASHSEED)
-- create_all
CREATE TABLE playlist (id SERIAL NOT NULL, title VARCHAR(100) NOT NULL, cover_track_id INTEGER, PRIMARY KEY (id))
CREATE TABLE track (id SERIAL NOT NULL, title VARCHAR(100) NOT NULL, playlist_id INTEGER, PRIMARY KEY (id))
ALTER TABLE playlist ADD CONSTRAINT fk_playlist_cover_track_id_track FOREIGN KEY(cover_track_id) REFERENCES track (id)
ALTER TABLE track ADD CONSTRAINT fk_track_playlist_id_playlist FOREIGN KEY(playlist_id) REFERENCES playlist (id)
-- drop_all
ALTER TABLE playlist DROP CONSTRAINT fk_playlist_cover_track_id_track
ALTER TABLE track DROP CONSTRAINT fk_track_playlist_id_playlist
DROP TABLE track
DROP TABLE playlist
