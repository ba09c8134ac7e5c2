-- SA401/bad_sqlmodel_team_captain: create_all() then drop_all() on PostgreSQL
-- whitespace collapsed; each run of ALTER TABLE statements sorted (their order follows PYTHONHASHSEED)
-- create_all
CREATE TABLE team (id SERIAL NOT NULL, name VARCHAR NOT NULL, captain_id INTEGER, PRIMARY KEY (id))
CREATE TABLE hero (id SERIAL NOT NULL, name VARCHAR NOT NULL, team_id INTEGER, PRIMARY KEY (id))
ALTER TABLE hero ADD CONSTRAINT fk_hero_team_id_team FOREIGN KEY(team_id) REFERENCES team (id)
ALTER TABLE team ADD CONSTRAINT fk_team_captain_id_hero FOREIGN KEY(captain_id) REFERENCES hero (id)
-- drop_all
ALTER TABLE hero DROP CONSTRAINT fk_hero_team_id_team
ALTER TABLE team DROP CONSTRAINT fk_team_captain_id_hero
DROP TABLE hero
DROP TABLE team
