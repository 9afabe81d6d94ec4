-- Default wording of a crisis statement (kind `crisis.statement`), which the
-- crisis service sends to affected customers, all customers or the crisis
-- team. The statement's own words are the message: its headline is the
-- subject and its body the body. Localised variants come as
-- `headline@<locale>` and `body@<locale>` and are picked per recipient when
-- rendered, so one default template serves every language.
INSERT INTO templates (id, kind, channel, locale, style, version, subject, body, variables, create_time, update_time)
VALUES
  ('01930000-0000-7000-8000-000000000020', 'crisis.statement', '', '', '', 1,
   '{{ headline }}',
   '{{ body }}',
   '{headline,body}', now(), now());
