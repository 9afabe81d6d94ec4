-- Default wording (locale '' = the default, channel '' = any, style '' =
-- any) of every kind the default triggers send, so that a fresh suite can
-- tell customers and staff what happened. Companies add their own locales,
-- channels and styles with CreateTemplate and reword these with
-- UpdateTemplate; the ids are fixed so a later migration can find them.
INSERT INTO templates (id, kind, channel, locale, style, version, subject, body, variables, create_time, update_time)
VALUES
  ('01930000-0000-7000-8000-000000000001', 'complaint.acknowledgement', '', '', '', 1,
   'We have received your complaint {{ complaint_reference }}',
   'Dear {{ recipient.name }}, thank you for telling us. Your complaint {{ complaint_reference }} has an owner who will see it through, and we will keep you informed.',
   '{complaint_reference}', now(), now()),
  ('01930000-0000-7000-8000-000000000002', 'complaint.progress', '', '', '', 1,
   'An update on your complaint {{ complaint_reference }}',
   'Dear {{ recipient.name }}, your complaint {{ complaint_reference }} is now {{ complaint_state | replace("_", " ") }}. We will tell you as soon as there is more.',
   '{complaint_reference,complaint_state}', now(), now()),
  ('01930000-0000-7000-8000-000000000003', 'complaint.resolution', '', '', '', 1,
   'Your complaint {{ complaint_reference }} is resolved',
   'Dear {{ recipient.name }}, thank you for accepting our resolution of {{ complaint_reference }}. We are sorry for the trouble, and glad to have put it right.',
   '{complaint_reference}', now(), now()),
  ('01930000-0000-7000-8000-000000000004', 'complaint.survey_invitation', '', '', '', 1,
   'How did we do with {{ complaint_reference }}?',
   'Dear {{ recipient.name }}, would you tell us in a minute how we handled your complaint {{ complaint_reference }}?',
   '{complaint_reference}', now(), now()),
  ('01930000-0000-7000-8000-000000000005', 'complaint.follow_up', '', '', '', 1,
   'Following up on {{ complaint_reference }}',
   'Dear {{ recipient.name }}, we wanted to check that all is well since we resolved {{ complaint_reference }}.',
   '{complaint_reference}', now(), now()),
  ('01930000-0000-7000-8000-000000000006', 'complaint.sla_warning', '', '', '', 1,
   'SLA warning: {{ complaint_reference }} ({{ clock }})',
   'The {{ clock }} clock of {{ complaint_reference }} ({{ complaint_severity }}, {{ complaint_category }}) is due at {{ due_time }}.',
   '{complaint_reference,clock,complaint_severity,complaint_category,due_time}', now(), now()),
  ('01930000-0000-7000-8000-000000000007', 'complaint.sla_breach', '', '', '', 1,
   'SLA breached: {{ complaint_reference }} ({{ clock }})',
   'The {{ clock }} clock of {{ complaint_reference }} ({{ complaint_severity }}, {{ complaint_category }}) was due at {{ due_time }} and is breached.',
   '{complaint_reference,clock,complaint_severity,complaint_category,due_time}', now(), now()),
  ('01930000-0000-7000-8000-000000000008', 'complaint.sla_escalation', '', '', '', 1,
   'Escalated to you: {{ complaint_reference }}',
   'The {{ clock }} clock of {{ complaint_reference }} was due at {{ due_time }}; it is escalated to you (level {{ level }}).',
   '{complaint_reference,clock,due_time,level}', now(), now());

INSERT INTO template_versions (template_id, version, subject, body, variables, create_time)
SELECT id, version, subject, body, variables, create_time FROM templates;
