; Module imports, at any depth: `import a.b as c` and `from .m import x as y`.
; Imports inside `if TYPE_CHECKING:` blocks matter for string-free annotations.
(import_statement) @import
(import_from_statement) @import_from
