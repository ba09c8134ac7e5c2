;; init.el: Eglot is built into Emacs 29+ (Emacs 28: package-install eglot, or Debian's elpa-eglot)
(with-eval-after-load 'eglot
  (add-to-list 'eglot-server-programs
               '((python-mode python-ts-mode) . ("sqla-analyzer" "server"))))
(add-hook 'python-mode-hook #'eglot-ensure)
(add-hook 'python-ts-mode-hook #'eglot-ensure)
;; Optional overrides of the project's configuration (or per project in .dir-locals.el):
;; (setq-default eglot-workspace-configuration
;;               '(:sqla-analyzer (:select ["SA2"] :ignore ["SA208"] :dialect "sqlite")))
