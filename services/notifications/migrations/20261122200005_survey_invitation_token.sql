-- The default survey invitation carries the survey's code (the token the
-- complaints service puts on its `complaint.survey_invited` event) and until
-- when it may be answered, so that a customer can actually answer it. A
-- company that links its own survey page rewords it with UpdateTemplate, for
-- example with `https://survey.example/?t={{ survey_token }}`. A template a
-- company already reworded (version above 1) is left as it is.
UPDATE templates
SET version = 2,
    body = 'Dear {{ recipient.name }}, would you tell us in a minute how we handled your complaint {{ complaint_reference }}? Your survey code is {{ survey_token }}; it can be used until {{ expire_time }}.',
    variables = '{complaint_reference,survey_token,expire_time}',
    update_time = now()
WHERE id = '01930000-0000-7000-8000-000000000004' AND version = 1;

INSERT INTO template_versions (template_id, version, subject, body, variables, create_time)
SELECT id, version, subject, body, variables, update_time FROM templates
WHERE id = '01930000-0000-7000-8000-000000000004' AND version = 2
ON CONFLICT (template_id, version) DO NOTHING;
