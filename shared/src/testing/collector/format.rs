//! The collector's debug format, read back: what rotel (and the
//! OpenTelemetry Collector's debug exporter, whose layout it copies) prints
//! for every batch of spans and metrics it receives at the `detailed`
//! verbosity, parsed into [`Span`]s and [`Metric`]s a test can ask about.
//!
//! The parser is strict on purpose. Every line must be one the format is
//! known to print, in a place it may print it; anything else is a
//! [`FormatError`] naming the line. A newer collector that changes the
//! layout therefore fails a test loudly instead of letting it find no spans
//! and pass or time out for the wrong reason. Free text is the exception
//! it must allow: a string attribute value, a span or event name or a status
//! message may run over several lines, and those lines continue the value.
//!
//! A block of another signal (`ResourceLogs`) is skipped whole, and the
//! collector's own log lines (JSON objects, `--log-format json`) are kept
//! apart.

use std::collections::BTreeMap;

/// One span as the collector received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    /// The `service.name` of the resource that sent it.
    pub service: String,
    /// The instrumentation scope's name (`redress`).
    pub scope: String,
    /// 32 lower-case hex digits.
    pub trace_id: String,
    /// 16 lower-case hex digits.
    pub span_id: String,
    /// The parent's span id; `None` for a root span.
    pub parent_id: Option<String>,
    /// The span's name.
    pub name: String,
    /// The span's kind.
    pub kind: SpanKind,
    /// `STATUS_CODE_UNSET`, `STATUS_CODE_OK` or `STATUS_CODE_ERROR`.
    pub status_code: String,
    /// The status message; empty when none.
    pub status_message: String,
    /// Attributes by key, each value as printed inside its type
    /// (`Str(Get)` is `Get`, `Int(0)` is `0`).
    pub attributes: BTreeMap<String, String>,
    /// The span's events, in order.
    pub events: Vec<SpanEvent>,
    /// The span's links, in order.
    pub links: Vec<SpanLink>,
}

impl Span {
    /// The value of attribute `key`, if the span has it.
    pub fn attribute(&self, key: &str) -> Option<&str> {
        self.attributes.get(key).map(String::as_str)
    }
}

/// What kind of span a span is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpanKind {
    /// `SPAN_KIND_UNSPECIFIED`.
    Unspecified,
    /// `SPAN_KIND_INTERNAL`.
    Internal,
    /// `SPAN_KIND_SERVER`.
    Server,
    /// `SPAN_KIND_CLIENT`.
    Client,
    /// `SPAN_KIND_PRODUCER`.
    Producer,
    /// `SPAN_KIND_CONSUMER`.
    Consumer,
}

impl SpanKind {
    /// The kind printed as `text`, if it is one.
    fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "SPAN_KIND_UNSPECIFIED" => Self::Unspecified,
            "SPAN_KIND_INTERNAL" => Self::Internal,
            "SPAN_KIND_SERVER" => Self::Server,
            "SPAN_KIND_CLIENT" => Self::Client,
            "SPAN_KIND_PRODUCER" => Self::Producer,
            "SPAN_KIND_CONSUMER" => Self::Consumer,
            _ => return None,
        })
    }
}

/// An event recorded on a span (a `tracing` event inside it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpanEvent {
    /// The event's name (a `tracing` event's message).
    pub name: String,
    /// Its attributes, values as for [`Span::attributes`].
    pub attributes: BTreeMap<String, String>,
}

/// A link from a span to another span, possibly in another trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpanLink {
    /// The linked span's trace id.
    pub trace_id: String,
    /// The linked span's id.
    pub span_id: String,
    /// The link's attributes, values as for [`Span::attributes`].
    pub attributes: BTreeMap<String, String>,
}

/// One metric of one export, with its data points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metric {
    /// The `service.name` of the resource that sent it.
    pub service: String,
    /// The instrumentation scope's name (`redress`).
    pub scope: String,
    /// The instrument's name.
    pub name: String,
    /// Its description; empty when none.
    pub description: String,
    /// Its unit (`s`, `{event}`); empty when none.
    pub unit: String,
    /// `Sum`, `Gauge`, `Histogram`, `ExponentialHistogram` or `Summary`.
    pub data_type: String,
    /// Its data points.
    pub points: Vec<DataPoint>,
}

/// One data point of a metric.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DataPoint {
    /// Its attributes, values as for [`Span::attributes`].
    pub attributes: BTreeMap<String, String>,
    /// Its figures by the label they are printed with: `Value` for a sum or
    /// gauge; `Count`, `Sum`, `Min`, `Max` for a histogram; and
    /// `StartTimestamp`, `Timestamp`.
    pub values: BTreeMap<String, String>,
}

/// Everything parsed from the collector's output.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Export {
    /// Every span, in the order received.
    pub spans: Vec<Span>,
    /// Every metric of every export, in the order received (a metric
    /// exported every second appears once per export).
    pub metrics: Vec<Metric>,
    /// The collector's own log lines.
    pub collector_logs: Vec<String>,
}

impl Export {
    /// Adds what `other` holds after what this one holds.
    pub fn extend(&mut self, other: Export) {
        self.spans.extend(other.spans);
        self.metrics.extend(other.metrics);
        self.collector_logs.extend(other.collector_logs);
    }
}

/// A line the debug format does not print, or prints elsewhere.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("collector output line {line}: {problem}: {text:?}")]
pub struct FormatError {
    /// The line's number, from 1.
    pub line: usize,
    /// The line.
    pub text: String,
    /// What is wrong with it.
    pub problem: String,
}

/// Parses the collector's debug output. `text` starts at a line start and
/// holds whole blocks: a block cut short reads as a span or metric missing
/// its required lines.
pub fn parse(text: &str) -> Result<Export, FormatError> {
    let mut parser = Parser::default();
    for (index, line) in text.lines().enumerate() {
        parser.line(line).map_err(|problem| FormatError {
            line: index + 1,
            text: line.to_owned(),
            problem,
        })?;
    }
    let line = text.lines().count();
    parser.finish().map_err(|problem| FormatError {
        line,
        text: "<end of output>".to_owned(),
        problem,
    })?;
    Ok(parser.export)
}

/// Which signal the current block carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Signal {
    Spans,
    Metrics,
    /// Skipped whole.
    Logs,
}

/// Where an attribute line (`     -> key: Value(...)`) belongs: set by the
/// header before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Arrows {
    /// No header that takes attribute lines.
    None,
    /// `Resource attributes:`.
    Resource,
    /// `InstrumentationScope attributes:`.
    Scope,
    /// A span's `Attributes:`.
    Span,
    /// The fields of the last `SpanEvent #n`.
    EventFields,
    /// The last event's `-> Attributes::`.
    Event,
    /// The fields of the last `SpanLink #n`.
    LinkFields,
    /// The last link's `-> Attributes::`.
    Link,
    /// A metric's `Descriptor:`.
    Descriptor,
    /// `Data point attributes:`.
    Point,
}

/// A free-text field that the next unrecognised line continues.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Follow {
    SpanName,
    StatusMessage,
    EventName,
}

/// A `Str(` value whose closing parenthesis has not come yet. A line
/// ending in `)` may close it (SQL text has many such lines): it does when
/// the line after it is one of the format's own.
#[derive(Debug, Clone, PartialEq, Eq)]
struct OpenString {
    target: Arrows,
    key: String,
    /// The value so far, with the `)` of the last line if it had one.
    text: String,
    /// Whether the last line ended in `)`.
    closable: bool,
}

/// A span being read: its fields as they come.
#[derive(Debug, Default)]
struct SpanDraft {
    trace_id: Option<String>,
    span_id: Option<String>,
    parent_id: Option<String>,
    name: Option<String>,
    kind: Option<SpanKind>,
    status_code: Option<String>,
    status_message: String,
    start: bool,
    end: bool,
    attributes: BTreeMap<String, String>,
    events: Vec<SpanEvent>,
    links: Vec<LinkDraft>,
}

/// A link being read.
#[derive(Debug, Default)]
struct LinkDraft {
    trace_id: Option<String>,
    span_id: Option<String>,
    attributes: BTreeMap<String, String>,
}

#[derive(Debug, Default)]
struct Parser {
    export: Export,
    signal: Option<Signal>,
    resource: BTreeMap<String, String>,
    scope: Option<String>,
    scope_attributes: BTreeMap<String, String>,
    span: Option<SpanDraft>,
    metric: Option<Metric>,
    arrows: Option<Arrows>,
    open: Option<OpenString>,
    follow: Option<Follow>,
}

/// Span header fields: four spaces, the key padded, ` : `, the value.
const SPAN_FIELDS: &[&str] = &[
    "Trace ID",
    "Parent ID",
    "ID",
    "Name",
    "Kind",
    "Status code",
    "Status message",
];

/// Data point lines that carry a figure kept in [`DataPoint::values`].
const POINT_VALUES: &[&str] = &[
    "StartTimestamp",
    "Timestamp",
    "Value",
    "Count",
    "Sum",
    "Min",
    "Max",
];

/// Headers of a metric's data points, one per data type.
const POINT_HEADERS: &[&str] = &[
    "NumberDataPoints #",
    "HistogramDataPoints #",
    "ExponentialHistogramDataPoints #",
    "SummaryDataPoints #",
];

impl Parser {
    /// Reads one line.
    fn line(&mut self, line: &str) -> Result<(), String> {
        if let Some(mut open) = self.open.take() {
            if !(open.closable && is_format_line(line)) {
                open.text.push('\n');
                open.text.push_str(line);
                open.closable = line.ends_with(')');
                self.open = Some(open);
                return Ok(());
            }
            self.close(open)?;
        }
        if line.starts_with("{\"v\":") && line.contains("\"name\":\"rotel") {
            self.export.collector_logs.push(line.to_owned());
            return Ok(());
        }
        if let Some(signal) = block_header(line) {
            self.end_block()?;
            self.signal = Some(signal);
            return Ok(());
        }
        match self.signal {
            Some(Signal::Logs) => Ok(()),
            None if line.trim().is_empty() => Ok(()),
            None => Err("a line outside any block".into()),
            Some(signal) => match self.structure(signal, line) {
                Ok(true) => {
                    if !self.keeps_follow(line) {
                        self.follow = None;
                    }
                    Ok(())
                }
                Ok(false) => self.continue_free_text(line),
                Err(problem) => Err(problem),
            },
        }
    }

    /// Whether `line` was the free-text field the follow was set for (so
    /// it stays set).
    fn keeps_follow(&self, line: &str) -> bool {
        match self.follow {
            Some(Follow::SpanName) => line.starts_with("    Name "),
            Some(Follow::StatusMessage) => line.starts_with("    Status message "),
            Some(Follow::EventName) => line.starts_with("     -> Name:"),
            None => true,
        }
    }

    /// Appends `line` to the free-text field it continues, or fails.
    fn continue_free_text(&mut self, line: &str) -> Result<(), String> {
        let span = self.span.as_mut();
        match (self.follow.as_ref(), span) {
            (Some(Follow::SpanName), Some(span)) => {
                let name = span.name.get_or_insert_with(String::new);
                name.push('\n');
                name.push_str(line);
                Ok(())
            }
            (Some(Follow::StatusMessage), Some(span)) => {
                span.status_message.push('\n');
                span.status_message.push_str(line);
                Ok(())
            }
            (Some(Follow::EventName), Some(span)) => match span.events.last_mut() {
                Some(event) => {
                    event.name.push('\n');
                    event.name.push_str(line);
                    Ok(())
                }
                None => Err("a continuation with no event".into()),
            },
            _ => Err("not a line of the collector's debug format".into()),
        }
    }

    /// Reads a structural line of a spans or metrics block: `Ok(false)`
    /// when the line is none the format prints.
    fn structure(&mut self, signal: Signal, line: &str) -> Result<bool, String> {
        if let Some(arrow) = arrow(line) {
            self.arrow(arrow)?;
            return Ok(true);
        }
        if line.starts_with("Resource SchemaURL:") {
            return Ok(true);
        }
        if line == "Resource attributes:" {
            self.arrows = Some(Arrows::Resource);
            return Ok(true);
        }
        let scope_header = match signal {
            Signal::Spans => "ScopeSpans #",
            _ => "ScopeMetrics #",
        };
        if line.starts_with(scope_header) {
            self.end_item()?;
            self.scope = None;
            self.scope_attributes.clear();
            self.arrows = Some(Arrows::None);
            return Ok(true);
        }
        if line.starts_with("ScopeSpans SchemaURL:") || line.starts_with("ScopeMetrics SchemaURL:")
        {
            return Ok(true);
        }
        if line == "InstrumentationScope attributes:" {
            self.arrows = Some(Arrows::Scope);
            return Ok(true);
        }
        if let Some(rest) = line.strip_prefix("InstrumentationScope") {
            // `InstrumentationScope <name> <version>`; both may be empty.
            let name = rest.split_whitespace().next().unwrap_or_default();
            self.scope = Some(name.to_owned());
            self.arrows = Some(Arrows::None);
            return Ok(true);
        }
        match signal {
            Signal::Spans => self.span_line(line),
            Signal::Metrics => self.metric_line(line),
            Signal::Logs => Ok(true),
        }
    }

    /// A line inside a span.
    fn span_line(&mut self, line: &str) -> Result<bool, String> {
        if line.starts_with("Span #") {
            self.end_item()?;
            self.scope_required()?;
            self.span = Some(SpanDraft::default());
            self.arrows = Some(Arrows::None);
            return Ok(true);
        }
        if let Some((key, value)) = span_field(line) {
            let span = self.span.as_mut().ok_or("a span field before any span")?;
            let value = value.to_owned();
            match key {
                "Trace ID" => span.trace_id = Some(hex_id(&value, 32)?),
                "Parent ID" if value.is_empty() => span.parent_id = None,
                "Parent ID" => span.parent_id = Some(hex_id(&value, 16)?),
                "ID" => span.span_id = Some(hex_id(&value, 16)?),
                "Name" => {
                    span.name = Some(value);
                    self.follow = Some(Follow::SpanName);
                }
                "Kind" => {
                    span.kind = Some(SpanKind::parse(&value).ok_or("an unknown span kind")?);
                }
                "Status code" => span.status_code = Some(value),
                "Status message" => {
                    span.status_message = value;
                    self.follow = Some(Follow::StatusMessage);
                }
                _ => return Err("an unknown span field".into()),
            }
            return Ok(true);
        }
        let span = match self.span.as_mut() {
            Some(span) => span,
            None => return Ok(false),
        };
        if line.starts_with("Start time: ") {
            span.start = true;
        } else if line.starts_with("End time: ") {
            span.end = true;
        } else if line == "Attributes:" {
            self.arrows = Some(Arrows::Span);
        } else if line == "Events:" || line == "Links:" {
            self.arrows = Some(Arrows::None);
        } else if line.starts_with("SpanEvent #") {
            span.events.push(SpanEvent {
                name: String::new(),
                attributes: BTreeMap::new(),
            });
            self.arrows = Some(Arrows::EventFields);
        } else if line.starts_with("SpanLink #") {
            span.links.push(LinkDraft::default());
            self.arrows = Some(Arrows::LinkFields);
        } else {
            return Ok(false);
        }
        Ok(true)
    }

    /// A line inside a metric.
    fn metric_line(&mut self, line: &str) -> Result<bool, String> {
        if line.starts_with("Metric #") {
            self.end_item()?;
            let scope = self.scope_required()?;
            self.metric = Some(Metric {
                service: self.service()?,
                scope,
                name: String::new(),
                description: String::new(),
                unit: String::new(),
                data_type: String::new(),
                points: Vec::new(),
            });
            self.arrows = Some(Arrows::None);
            return Ok(true);
        }
        let metric = match self.metric.as_mut() {
            Some(metric) => metric,
            None => return Ok(false),
        };
        if line == "Descriptor:" {
            self.arrows = Some(Arrows::Descriptor);
        } else if POINT_HEADERS.iter().any(|h| line.starts_with(h)) {
            metric.points.push(DataPoint::default());
            self.arrows = Some(Arrows::None);
        } else if line == "Data point attributes:" {
            self.arrows = Some(Arrows::Point);
        } else if line.starts_with("ExplicitBounds #") || line.starts_with("Buckets #") {
            self.arrows = Some(Arrows::None);
        } else if let Some((label, value)) = line.split_once(": ")
            && POINT_VALUES.contains(&label)
        {
            let point = metric
                .points
                .last_mut()
                .ok_or("a data point figure before any data point")?;
            point.values.insert(label.to_owned(), value.to_owned());
            self.arrows = Some(Arrows::None);
        } else {
            return Ok(false);
        }
        Ok(true)
    }

    /// An attribute or field line (`-> key: value`).
    fn arrow(&mut self, arrow: Arrow<'_>) -> Result<(), String> {
        let target = self.arrows.ok_or("an attribute line outside a block")?;
        match (target, arrow.depth) {
            (Arrows::EventFields, 1) => self.event_field(arrow.key, arrow.value),
            (Arrows::LinkFields, 1) => self.link_field(arrow.key, arrow.value),
            (Arrows::Descriptor, 1) => self.descriptor_field(arrow.key, arrow.value),
            (Arrows::Event | Arrows::Link, 2) => self.attribute(target, arrow.key, arrow.value),
            (Arrows::Resource | Arrows::Scope | Arrows::Span | Arrows::Point, 1) => {
                self.attribute(target, arrow.key, arrow.value)
            }
            _ => Err("an attribute line where none belongs".into()),
        }
    }

    /// A field of the last event.
    fn event_field(&mut self, key: &str, value: &str) -> Result<(), String> {
        let event = self
            .span
            .as_mut()
            .and_then(|span| span.events.last_mut())
            .ok_or("an event field with no event")?;
        match key {
            "Name" => {
                event.name = value.to_owned();
                self.follow = Some(Follow::EventName);
            }
            "Timestamp" | "DroppedAttributesCount" => {}
            "Attributes:" => self.arrows = Some(Arrows::Event),
            _ => return Err("an unknown event field".into()),
        }
        Ok(())
    }

    /// A field of the last link.
    fn link_field(&mut self, key: &str, value: &str) -> Result<(), String> {
        let link = self
            .span
            .as_mut()
            .and_then(|span| span.links.last_mut())
            .ok_or("a link field with no link")?;
        match key {
            "Trace ID" => link.trace_id = Some(hex_id(value, 32)?),
            "ID" => link.span_id = Some(hex_id(value, 16)?),
            "TraceState" | "DroppedAttributesCount" | "Flags" => {}
            "Attributes:" => self.arrows = Some(Arrows::Link),
            _ => return Err("an unknown link field".into()),
        }
        Ok(())
    }

    /// A field of the current metric's descriptor.
    fn descriptor_field(&mut self, key: &str, value: &str) -> Result<(), String> {
        let metric = self.metric.as_mut().ok_or("a descriptor with no metric")?;
        match key {
            "Name" => metric.name = value.to_owned(),
            "Description" => metric.description = value.to_owned(),
            "Unit" => metric.unit = value.to_owned(),
            "DataType" => metric.data_type = value.to_owned(),
            "IsMonotonic" | "AggregationTemporality" => {}
            _ => return Err("an unknown descriptor field".into()),
        }
        Ok(())
    }

    /// An attribute `key: Type(value)` for `target`; a `Str(` value not
    /// closed on this line stays open for the next lines.
    fn attribute(&mut self, target: Arrows, key: &str, value: &str) -> Result<(), String> {
        let (kind, inner) = value
            .split_once('(')
            .filter(|(kind, _)| !kind.is_empty() && kind.chars().all(char::is_alphanumeric))
            .ok_or("an attribute value not of the form Type(value)")?;
        if let Some(inner) = inner.strip_suffix(')') {
            return self.set_attribute(target, key.to_owned(), inner.to_owned());
        }
        if kind != "Str" {
            return Err("an attribute value without its closing parenthesis".into());
        }
        self.open = Some(OpenString {
            target,
            key: key.to_owned(),
            text: inner.to_owned(),
            closable: false,
        });
        Ok(())
    }

    /// Stores an open string value, closed by its last line's `)`.
    fn close(&mut self, mut open: OpenString) -> Result<(), String> {
        open.text.pop();
        self.set_attribute(open.target, open.key, open.text)
    }

    /// Stores an attribute where `target` says.
    fn set_attribute(&mut self, target: Arrows, key: String, value: String) -> Result<(), String> {
        let map = match target {
            Arrows::Resource => &mut self.resource,
            Arrows::Scope => &mut self.scope_attributes,
            Arrows::Span => &mut self.span.as_mut().ok_or("no span")?.attributes,
            Arrows::Event => {
                &mut self
                    .span
                    .as_mut()
                    .and_then(|s| s.events.last_mut())
                    .ok_or("no event")?
                    .attributes
            }
            Arrows::Link => {
                &mut self
                    .span
                    .as_mut()
                    .and_then(|s| s.links.last_mut())
                    .ok_or("no link")?
                    .attributes
            }
            Arrows::Point => {
                &mut self
                    .metric
                    .as_mut()
                    .and_then(|m| m.points.last_mut())
                    .ok_or("no data point")?
                    .attributes
            }
            Arrows::None | Arrows::EventFields | Arrows::LinkFields | Arrows::Descriptor => {
                return Err("an attribute where none belongs".into());
            }
        };
        map.insert(key, value);
        Ok(())
    }

    /// The current resource's `service.name`.
    fn service(&self) -> Result<String, String> {
        self.resource
            .get("service.name")
            .cloned()
            .ok_or_else(|| "a resource without service.name".to_owned())
    }

    /// The current scope's name; an item before any scope is an error.
    fn scope_required(&self) -> Result<String, String> {
        self.scope
            .clone()
            .ok_or_else(|| "an item before its InstrumentationScope".to_owned())
    }

    /// Finishes the span or metric being read, checking it is whole.
    fn end_item(&mut self) -> Result<(), String> {
        if let Some(draft) = self.span.take() {
            let span = self.finish_span(draft)?;
            self.export.spans.push(span);
        }
        if let Some(metric) = self.metric.take() {
            if metric.name.is_empty() || metric.data_type.is_empty() {
                return Err(format!("metric {:?} has no name or data type", metric.name));
            }
            self.export.metrics.push(metric);
        }
        self.follow = None;
        Ok(())
    }

    /// A span from its draft, if every required line came.
    fn finish_span(&self, draft: SpanDraft) -> Result<Span, String> {
        let missing = |what: &str| format!("a span without its {what} line");
        if !draft.start || !draft.end {
            return Err(missing("start or end time"));
        }
        let links = draft
            .links
            .into_iter()
            .map(|link| {
                Ok(SpanLink {
                    trace_id: link.trace_id.ok_or_else(|| missing("link's Trace ID"))?,
                    span_id: link.span_id.ok_or_else(|| missing("link's ID"))?,
                    attributes: link.attributes,
                })
            })
            .collect::<Result<_, String>>()?;
        Ok(Span {
            service: self.service()?,
            scope: self.scope_required()?,
            trace_id: draft.trace_id.ok_or_else(|| missing("Trace ID"))?,
            span_id: draft.span_id.ok_or_else(|| missing("ID"))?,
            parent_id: draft.parent_id,
            name: draft.name.ok_or_else(|| missing("Name"))?,
            kind: draft.kind.ok_or_else(|| missing("Kind"))?,
            status_code: draft.status_code.ok_or_else(|| missing("Status code"))?,
            status_message: draft.status_message,
            attributes: draft.attributes,
            events: draft.events,
            links,
        })
    }

    /// Ends the current block.
    fn end_block(&mut self) -> Result<(), String> {
        self.end_item()?;
        self.resource.clear();
        self.scope = None;
        self.scope_attributes.clear();
        self.arrows = Some(Arrows::None);
        Ok(())
    }

    /// Ends the output: nothing may be left open.
    fn finish(&mut self) -> Result<(), String> {
        match self.open.take() {
            Some(open) if open.closable => self.close(open)?,
            Some(open) => return Err(format!("attribute {:?} is never closed", open.key)),
            None => {}
        }
        self.end_block()
    }
}

/// The signal of a block header line.
fn block_header(line: &str) -> Option<Signal> {
    if line.starts_with("ResourceSpans #") {
        Some(Signal::Spans)
    } else if line.starts_with("ResourceMetrics #") {
        Some(Signal::Metrics)
    } else if line.starts_with("ResourceLogs #") {
        Some(Signal::Logs)
    } else {
        None
    }
}

/// Whether `line` is one the format prints after an attribute (so a string
/// value before it has ended): an attribute or field line, or a header.
fn is_format_line(line: &str) -> bool {
    const HEADERS: &[&str] = &[
        "Resource",
        "Scope",
        "InstrumentationScope",
        "Span #",
        "Events:",
        "SpanEvent #",
        "Links:",
        "SpanLink #",
        "Attributes:",
        "Metric #",
        "Descriptor:",
        "Data point attributes:",
        "StartTimestamp: ",
        "{\"v\":",
    ];
    arrow(line).is_some()
        || HEADERS.iter().any(|h| line.starts_with(h))
        || POINT_HEADERS.iter().any(|h| line.starts_with(h))
}

/// An attribute or field line: `     -> key: value` (depth 1) or
/// `          -> key: value` (depth 2, an event's or link's attributes).
#[derive(Debug)]
struct Arrow<'a> {
    depth: u8,
    key: &'a str,
    value: &'a str,
}

fn arrow(line: &str) -> Option<Arrow<'_>> {
    let (depth, rest) = match line.strip_prefix("          -> ") {
        Some(rest) => (2, rest),
        None => (1, line.strip_prefix("     -> ")?),
    };
    // `-> Attributes::` opens an event's or link's attributes.
    if rest == "Attributes::" {
        return Some(Arrow {
            depth,
            key: "Attributes:",
            value: "",
        });
    }
    let (key, value) = rest.split_once(':')?;
    Some(Arrow {
        depth,
        key,
        value: value.strip_prefix(' ').unwrap_or(value),
    })
}

/// A span header field: four spaces, a known key padded with spaces, `: `.
fn span_field(line: &str) -> Option<(&str, &str)> {
    let rest = line.strip_prefix("    ")?;
    if rest.starts_with(' ') {
        return None;
    }
    let (key, value) = rest.split_once(" :")?;
    let key = key.trim_end();
    SPAN_FIELDS
        .contains(&key)
        .then(|| (key, value.strip_prefix(' ').unwrap_or(value)))
}

/// `text` if it is `digits` lower-case hex digits.
fn hex_id(text: &str, digits: usize) -> Result<String, String> {
    let text = text.trim();
    if text.len() == digits && text.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(text.to_ascii_lowercase())
    } else {
        Err(format!("an id that is not {digits} hex digits"))
    }
}

#[cfg(test)]
mod tests;
