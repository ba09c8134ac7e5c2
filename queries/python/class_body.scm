; Direct members of a class body. The runner keeps only matches whose block is
; the class's own body, so nested classes are read on their own.

; `name = value`, `name: Annotation = value`, `name: Annotation`
(block
  (expression_statement
    (assignment
      left: (identifier) @member_name
      type: (type)? @member_annotation
      right: (_)? @member_value)) @member) @body

; Methods, plain or decorated (`@declared_attr`, `@declared_attr.directive`,
; `@classmethod`): their `return` expressions are read by the extractor.
(block
  (decorated_definition
    (decorator) @method_decorator
    definition: (function_definition
      name: (identifier) @method_name
      return_type: (type)? @method_return_type
      body: (block) @method_body)) @method) @body

(block
  (function_definition
    name: (identifier) @plain_method_name) @plain_method) @body
