-- SA404/good_flask_real_cycle: create_all() then drop_all() on PostgreSQL
-- whitespace collapsed; each run of ALTER TABLE statements sorted (their order follows PYTHONHASHSEED)
-- create_all
CREATE TABLE team (id SERIAL NOT NULL, name VARCHAR(100) NOT NULL, captain_id INTEGER, PRIMARY KEY (id))
CREATE TABLE player (id SERIAL NOT NULL, name VARCHAR(100) NOT NULL, team_id INTEGER, PRIMARY KEY (id))
ALTER TABLE player ADD CONSTRAINT fk_player_team_id_team FOREIGN KEY(team_id) REFERENCES team (id)
ALTER TABLE team ADD CONSTRAINT fk_team_captain_id_player FOREIGN KEY(captain_id) REFERENCES player (id)
-- drop_all
ALTER TABLE player DROP CONSTRAINT fk_player_team_id_team
ALTER TABLE team DROP CONSTRAINT fk_team_captain_id_player
DROP TABLE player
DROP TABLE team
