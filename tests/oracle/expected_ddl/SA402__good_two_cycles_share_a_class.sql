-- SA402/good_two_cycles_share_a_class: create_all() then drop_all() on PostgreSQL
-- whitespace collapsed; each run of ALTER TABLE statements sorted (their order follows PYTHONHASHSEED)
-- create_all
CREATE TABLE author (id SERIAL NOT NULL, name VARCHAR(100) NOT NULL, featured_book_id INTEGER, PRIMARY KEY (id))
CREATE TABLE book (id SERIAL NOT NULL, title VARCHAR(200) NOT NULL, author_id INTEGER, cover_id INTEGER, PRIMARY KEY (id))
CREATE TABLE image (id SERIAL NOT NULL, path VARCHAR(255) NOT NULL, book_id INTEGER, PRIMARY KEY (id))
ALTER TABLE author ADD CONSTRAINT fk_author_featured_book FOREIGN KEY(featured_book_id) REFERENCES book (id)
ALTER TABLE book ADD CONSTRAINT fk_book_author FOREIGN KEY(author_id) REFERENCES author (id)
ALTER TABLE book ADD CONSTRAINT fk_book_cover FOREIGN KEY(cover_id) REFERENCES image (id)
ALTER TABLE image ADD CONSTRAINT fk_image_book FOREIGN KEY(book_id) REFERENCES book (id)
-- drop_all
ALTER TABLE author DROP CONSTRAINT fk_author_featured_book
ALTER TABLE book DROP CONSTRAINT fk_book_author
ALTER TABLE book DROP CONSTRAINT fk_book_cover
ALTER TABLE image DROP CONSTRAINT fk_image_book
DROP TABLE image
DROP TABLE book
DROP TABLE author
