-- The trace a message was queued in (W3C traceparent): a complaint's
-- acknowledgement remembers the complaint's request, a SendMessage its call.
-- The delivery worker's span for the message continues that trace and links
-- to it, so "complaint created -> acknowledgement delivered" reads as one
-- story. A broadcast's messages have none: one trace of a hundred thousand
-- deliveries would help nobody.
ALTER TABLE messages ADD COLUMN traceparent text;
