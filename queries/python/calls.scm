; Call sites the delete and engine rules care about: bulk deletes
; (`query(...).delete()`, `session.execute(delete(X))`), engines
; (`create_engine("sqlite://...")`) and the SQLite foreign-key pragma;
; and imperative mappings (`registry.map_imperatively(Cls, table, ...)`).
((call
   function: [(identifier) (attribute)] @callee) @call
  (#match? @callee "(^|\\.)(create_engine|create_async_engine|delete|execute|listens_for|listen|map_imperatively|mapper|Index)$"))

; String literals that switch SQLite foreign keys on, wherever they appear.
((string) @pragma
  (#match? @pragma "(?i)foreign_keys *= *(on|1|true)"))
