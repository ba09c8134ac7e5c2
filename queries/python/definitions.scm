; Class definitions at any depth (example scripts define models inside functions),
; with their decorators when decorated.
(decorated_definition
  definition: (class_definition) @class) @decorated
(class_definition) @class

; Module-level bindings: `Base = declarative_base()`, `metadata = MetaData(...)`,
; `db = SQLAlchemy()`, `user_table = Table("user", metadata, ...)`, `convention = {...}`.
; Also inside module-level `if`/`try`/`with` blocks; the extractor drops those
; inside functions and classes.
(expression_statement
  (assignment
    left: (_) @target
    right: (_) @value)) @binding

; Attribute assignments at module level:
; `SQLModel.metadata.naming_convention = {...}`, `Base.metadata.naming_convention = ...`.
(module
  (expression_statement
    (assignment
      left: (attribute) @attribute_target
      right: (_) @attribute_value)))
