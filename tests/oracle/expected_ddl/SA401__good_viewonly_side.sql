-- SA401/good_viewonly_side: create_all() then drop_all() on PostgreSQL
-- whitespace collapsed; each run of ALTER TABLE statements sorted (their order follows PYTHONHASHSEED)
-- create_all
CREATE TABLE thread (id SERIAL NOT NULL, subject VARCHAR(200) NOT NULL, last_post_id INTEGER, PRIMARY KEY (id))
CREATE TABLE post (id SERIAL NOT NULL, body TEXT NOT NULL, thread_id INTEGER, PRIMARY KEY (id))
ALTER TABLE post ADD CONSTRAINT fk_post_thread_id_thread FOREIGN KEY(thread_id) REFERENCES thread (id)
ALTER TABLE thread ADD CONSTRAINT fk_thread_last_post_id_post FOREIGN KEY(last_post_id) REFERENCES post (id)
-- drop_all
ALTER TABLE post DROP CONSTRAINT fk_post_thread_id_thread
ALTER TABLE thread DROP CONSTRAINT fk_thread_last_post_id_post
DROP TABLE post
DROP TABLE thread
