-- SA301/bad_sqlmodel_fields: create_all() then drop_all() on PostgreSQL
-- whitespace collapsed; each run of ALTER TABLE statements sorted (their order follows PYTHONHASHSEED)
-- create_all
CREATE TABLE team (id SERIAL NOT NULL, name VARCHAR NOT NULL, captain_id INTEGER, PRIMARY KEY (id))
CREATE TABLE hero (id SERIAL NOT NULL, name VARCHAR NOT NULL, team_id INTEGER, PRIMARY KEY (id))
ALTER TABLE hero ADD FOREIGN KEY(team_id) REFERENCES team (id)
ALTER TABLE team ADD FOREIGN KEY(captain_id) REFERENCES hero (id)
-- drop_all
-- drop_all raised CircularDependencyError: Can't sort tables for DROP; an unresolvable foreign key dependency exists between tables: hero, team. Please ensure that the ForeignKey and ForeignKeyConstraint objects involved in the cycle have names so that they can be dropped using DROP CONSTRAINT.
