-- SA401/bad_flask_avatar_backref: create_all() then drop_all() on PostgreSQL
-- whitespace collapsed; each run of ALTER TABLE statements sorted (their order follows PYTHONHASHSEED)
-- create_all
CREATE TABLE "user" (id SERIAL NOT NULL, username VARCHAR(80) NOT NULL, avatar_id INTEGER, PRIMARY KEY (id), UNIQUE (username))
CREATE TABLE image (id SERIAL NOT NULL, path VARCHAR(255) NOT NULL, owner_id INTEGER, PRIMARY KEY (id))
ALTER TABLE "user" ADD CONSTRAINT fk_user_avatar_id_image FOREIGN KEY(avatar_id) REFERENCES image (id)
ALTER TABLE image ADD CONSTRAINT fk_image_owner_id_user FOREIGN KEY(owner_id) REFERENCES "user" (id)
-- drop_all
ALTER TABLE "user" DROP CONSTRAINT fk_user_avatar_id_image
ALTER TABLE image DROP CONSTRAINT fk_image_owner_id_user
DROP TABLE image
DROP TABLE "user"
