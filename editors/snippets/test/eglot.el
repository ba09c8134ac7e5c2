;;; eglot.el --- runs ../emacs-eglot.el against the real server  -*- lexical-binding: t -*-

;; emacs --batch -l editors/snippets/test/eglot.el PROJECT-DIR
;;
;; (editors/snippets/check.py runs it when Emacs has Eglot.)
;;
;; PROJECT-DIR holds models.py (a copy of the SA208 fixture
;; bad_flask_one_way) and a pyproject.toml; `sqla-analyzer' must be on
;; PATH.  Loads the snippet as a user would, opens the file, and checks
;; that Eglot connects with `sqla-analyzer server', that the SA208
;; diagnostic reaches Flymake, that hover answers, that
;; eglot-workspace-configuration reaches the server, and that the quick
;; fix applies.  Ends with "eglot: N passed, N failed"; exits 1 on a
;; failure.

(require 'cl-lib)

(defvar sqla-test-passed 0)
(defvar sqla-test-failed 0)
(defvar sqla-test-dir (file-name-as-directory (expand-file-name (car command-line-args-left))))
(defvar sqla-test-snippet
  (expand-file-name "../emacs-eglot.el" (file-name-directory (or load-file-name buffer-file-name))))

(defun sqla-test-say (format-string &rest args)
  (princ (concat (apply #'format format-string args) "\n")))

(defun sqla-test-finish ()
  (ignore-errors (eglot-shutdown (eglot-current-server)))
  (sqla-test-say "eglot: %d passed, %d failed" sqla-test-passed sqla-test-failed)
  (kill-emacs (if (> sqla-test-failed 0) 1 0)))

(defmacro sqla-test (name required &rest body)
  "Run BODY as the check NAME; when REQUIRED, a failure ends the run."
  (declare (indent 2))
  `(condition-case err
       (progn ,@body
              (setq sqla-test-passed (1+ sqla-test-passed))
              (sqla-test-say "ok     %s" ,name))
     (error
      (setq sqla-test-failed (1+ sqla-test-failed))
      (sqla-test-say "FAILED %s: %s" ,name (error-message-string err))
      (when ,required
        (sqla-test-say "(the remaining checks need this one)")
        (sqla-test-finish)))))

(defun sqla-test-wait (what predicate &optional seconds)
  (let ((deadline (+ (float-time) (or seconds 20))))
    (while (and (not (funcall predicate)) (< (float-time) deadline))
      (accept-process-output nil 0.05))
    (unless (funcall predicate)
      (error "timed out waiting for %s" what))))

(defun sqla-test-codes ()
  (mapcar (lambda (d) (flymake-diagnostic-text d)) (flymake-diagnostics)))

(defun sqla-test-has-sa208 ()
  (cl-some (lambda (text) (string-match-p "SA208" text)) (sqla-test-codes)))

(defvar sqla-test-server nil)

(sqla-test "the snippet loads and eglot-ensure connects sqla-analyzer server" t
  (load-file sqla-test-snippet)
  (require 'eglot)
  (find-file (expand-file-name "models.py" sqla-test-dir))
  (unless (derived-mode-p 'python-mode) (error "major mode %s" major-mode))
  ;; eglot-ensure connects from post-command-hook, which batch mode never runs.
  (sqla-test-wait "the connection"
                  (lambda () (run-hooks 'post-command-hook) (eglot-current-server)))
  (setq sqla-test-server (eglot-current-server))
  (let ((command (process-command (jsonrpc--process sqla-test-server))))
    (unless (equal command '("sqla-analyzer" "server"))
      (error "command %S" command))))

(sqla-test "the SA208 diagnostic reaches Flymake" t
  (flymake-start)
  (sqla-test-wait "diagnostics" #'sqla-test-has-sa208)
  (let ((diagnostic (car (flymake-diagnostics))))
    (unless (= (line-number-at-pos (flymake-diagnostic-beg diagnostic)) 10)
      (error "on line %d" (line-number-at-pos (flymake-diagnostic-beg diagnostic))))))

(defun sqla-test-position (line column)
  (list :line (1- line) :character column))

(sqla-test "hover answers with Markdown" nil
  (let* ((hover (jsonrpc-request sqla-test-server :textDocument/hover
                                 (list :textDocument (eglot--TextDocumentIdentifier)
                                       :position (sqla-test-position 10 14))))
         (contents (plist-get hover :contents))
         (value (plist-get contents :value)))
    (unless (and (stringp value) (string-match-p "SA208" value))
      (error "hover %S" hover))))

(sqla-test "eglot-workspace-configuration reaches the server" nil
  (setq-default eglot-workspace-configuration '(:sqla-analyzer (:ignore ["SA208"])))
  (eglot-signal-didChangeConfiguration sqla-test-server)
  (sqla-test-wait "SA208 to go" (lambda () (null (sqla-test-codes))))
  (setq-default eglot-workspace-configuration '(:sqla-analyzer (:ignore nil)))
  (eglot-signal-didChangeConfiguration sqla-test-server)
  (sqla-test-wait "SA208 to come back" #'sqla-test-has-sa208))

(sqla-test "the quick fix applies and the diagnostic goes" nil
  (let* ((actions (jsonrpc-request
                   sqla-test-server :textDocument/codeAction
                   (list :textDocument (eglot--TextDocumentIdentifier)
                         :range (list :start (sqla-test-position 10 14) :end (sqla-test-position 10 14))
                         :context (list :diagnostics [] :only ["quickfix"]))))
         (fix (cl-find-if (lambda (action) (eq (plist-get action :isPreferred) t)) actions)))
    (unless fix (error "no preferred fix in %S" actions))
    (eglot--apply-workspace-edit (plist-get fix :edit))
    (goto-char (point-min))
    (forward-line 17)
    (let ((line (buffer-substring-no-properties (line-beginning-position) (line-end-position))))
      (unless (equal line "    author = db.relationship(\"User\", back_populates=\"posts\")")
        (error "line 18: %s" line)))
    ;; Interactively, idle timers send the change and restart Flymake; batch
    ;; mode is never idle.
    (eglot--signal-textDocument/didChange)
    (flymake-start)
    (sqla-test-wait "the diagnostic to go" (lambda () (not (sqla-test-has-sa208))))))

(set-buffer-modified-p nil)
(sqla-test-finish)
