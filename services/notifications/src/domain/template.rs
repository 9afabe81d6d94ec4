//! Templates: the wording of one message kind on one channel, in one locale
//! and style. Written in a small, safe subset of Jinja (`{{ name }}`,
//! filters, `{% if %}`), rendered by `minijinja` with strict undefined
//! variables and a bounded amount of work per render.
//!
//! The subset is enforced on the parsed template ([`subset`]), when it is
//! saved and again before each render (a template stored before the check
//! existed gets no further): no loops, no assignments, no macros or calls,
//! no `~` or arithmetic, and only filters whose output is no longer than a
//! small multiple of their input. Within it, what a render holds in memory
//! is bounded by the template and its variables, whatever they are: `{% set
//! a = a ~ a %}` forty times over would otherwise build a terabyte from a
//! template of a few hundred bytes that minijinja's fuel lets through, and
//! `| safe` or `{% autoescape false %}` would let a variable's HTML into the
//! inbox unescaped.
//!
//! A template declares the variables it uses; besides them it may use
//! `recipient` (`recipient.name`, `recipient.locale`), which every message
//! has. A template using anything else is refused when it is saved
//! ([`check`]), so a send never fails on a typo. Values are escaped for the
//! channel when rendered ([`render`]): HTML for the in-app inbox, chat
//! markup (`&`, `<`, `>`) for chat rooms, nothing for the plain-text
//! channels (e-mail, SMS, the push gateway), whose text is never
//! interpreted as markup.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use minijinja::machinery::{self, WhitespaceConfig, ast};
use minijinja::syntax::SyntaxConfig;
use minijinja::{AutoEscape, Environment, Error, State, UndefinedBehavior, Value};
use serde::Serialize;

use super::channel::Channel;
use super::locale::Locale;

/// The most a subject may hold, in bytes.
pub const MAX_SUBJECT: usize = 1_000;
/// The most a body may hold, in bytes.
pub const MAX_BODY: usize = 100_000;
/// The most variables a template may declare.
pub const MAX_VARIABLES: usize = 100;
/// The most a rendered subject or body may hold, in bytes: a template
/// looping over a large value would otherwise grow without bound.
pub const MAX_RENDERED: usize = 1 << 20;
/// The variable every message has.
pub const RECIPIENT: &str = "recipient";

/// Why text with a NUL character is refused: PostgreSQL's `text` cannot
/// store it.
pub const NUL: &str = "must not contain a NUL character";

/// A bad part of a template: the field and what is wrong.
pub type Problem = (&'static str, String);

/// Whether `kind` is a message kind: lower-case dotted words
/// (`complaint.acknowledgement`), at most 100 bytes.
pub fn check_kind(kind: &str) -> Result<(), &'static str> {
    let word = |w: &str| {
        !w.is_empty()
            && w.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    };
    if kind.is_empty() {
        return Err("is required");
    }
    if kind.len() > 100 || !kind.split('.').all(word) {
        return Err("must be lower-case words of a-z, 0-9 and _ joined by dots");
    }
    Ok(())
}

/// Whether `name` can be a variable: an identifier of a-z, 0-9 and _.
pub fn is_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && name.len() <= 64
        && name != RECIPIENT
}

/// Checks a template's subject, body and declared variables: sizes, NUL
/// characters, syntax, and that it uses no variable it does not declare.
/// Returns every problem.
pub fn check(subject: &str, body: &str, variables: &[String]) -> Vec<Problem> {
    let mut problems = Vec::new();
    if subject.len() > MAX_SUBJECT {
        problems.push(("subject", format!("is longer than {MAX_SUBJECT} bytes")));
    } else if subject.contains('\0') {
        problems.push(("subject", NUL.to_owned()));
    }
    if body.trim().is_empty() {
        problems.push(("body", "is required".to_owned()));
    } else if body.len() > MAX_BODY {
        problems.push(("body", format!("is longer than {MAX_BODY} bytes")));
    } else if body.contains('\0') {
        problems.push(("body", NUL.to_owned()));
    }
    if variables.len() > MAX_VARIABLES {
        // One problem for the list, not one per name past the cap.
        problems.push(("variables", format!("declares more than {MAX_VARIABLES}")));
        return problems;
    }
    let mut seen = BTreeSet::new();
    for name in variables {
        if !is_variable_name(name) {
            problems.push((
                "variables",
                format!("{name:?} is not a variable name (a-z, 0-9, _; not \"recipient\")"),
            ));
        } else if !seen.insert(name.as_str()) {
            problems.push(("variables", format!("{name:?} is declared twice")));
        }
    }
    if !problems.is_empty() {
        return problems;
    }
    for (field, source) in [("subject", subject), ("body", body)] {
        if let Err(problem) = check_source(source, &seen) {
            problems.push((field, problem));
        }
    }
    problems
}

fn check_source(source: &str, declared: &BTreeSet<&str>) -> Result<(), String> {
    let env = &*ENVIRONMENT;
    let template = env.template_from_str(source).map_err(|e| {
        format!(
            "is not a valid template: {}",
            e.detail().unwrap_or("syntax error")
        )
    })?;
    subset(source)?;
    let globals: BTreeSet<&str> = env.globals().map(|(name, _)| name).collect();
    let mut unknown: Vec<String> = template
        .undeclared_variables(true)
        .into_iter()
        .filter(|used| !globals.contains(used.as_str()))
        .filter(|used| {
            let root = used.split('.').next().unwrap_or(used);
            if root == RECIPIENT {
                !matches!(
                    used.as_str(),
                    "recipient" | "recipient.name" | "recipient.locale"
                )
            } else {
                !declared.contains(root) || used.contains('.')
            }
        })
        .collect();
    unknown.sort();
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "uses variables it does not declare: {}",
            unknown.join(", ")
        ))
    }
}

/// Who a message is rendered for.
#[derive(Debug, Clone, Serialize)]
pub struct RecipientView {
    /// The name to greet them by.
    pub name: String,
    /// Their locale tag.
    pub locale: String,
}

/// A subject and body, rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The subject.
    pub subject: String,
    /// The body.
    pub body: String,
}

/// The separator of a localised variable's name and its locale:
/// `headline@de-CH` is `headline` for recipients whose locale is `de-CH`.
pub const LOCALE_MARK: char = '@';

/// Splits a variable name given with a message into its base name and, for
/// a localised one (`<name>@<locale>`), the locale; `None` when the part
/// after the mark is not a BCP 47 tag or the base is not a variable name.
pub fn split_localised(name: &str) -> Option<(&str, Option<Locale>)> {
    match name.split_once(LOCALE_MARK) {
        None => is_variable_name(name).then_some((name, None)),
        Some((base, tag)) => {
            if !is_variable_name(base) || tag.is_empty() {
                return None;
            }
            let locale = Locale::parse(tag).ok()?;
            Some((base, Some(locale)))
        }
    }
}

/// The variables as one recipient sees them: for each name, the value of
/// the most specific `<name>@<tag>` along the recipient's locale fallback
/// chain (`chain`, most specific first, as
/// [`Locale::fallback_chain`] gives it), else the plain `<name>`. The
/// localised entries themselves are not passed on, and a name given only
/// in other locales stays absent.
pub fn localise(
    variables: &BTreeMap<String, String>,
    chain: &[Locale],
) -> BTreeMap<String, String> {
    // Per base name: (rank in the chain, value); a lower rank wins.
    let mut best: BTreeMap<&str, (usize, &String)> = BTreeMap::new();
    for (name, value) in variables {
        let Some((base, locale)) = split_localised(name) else {
            continue;
        };
        let rank = match locale {
            None => chain.len(),
            Some(locale) => match chain.iter().position(|l| *l == locale) {
                Some(rank) => rank,
                None => continue,
            },
        };
        match best.get(base) {
            Some((have, _)) if *have <= rank => {}
            _ => {
                best.insert(base, (rank, value));
            }
        }
    }
    best.into_iter()
        .map(|(name, (_, value))| (name.to_owned(), value.clone()))
        .collect()
}

/// Why a template could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    /// Declared variables the message does not give.
    #[error("missing variables: {}", .0.join(", "))]
    Missing(Vec<String>),
    /// The template failed while rendering (too much work, a bad filter).
    #[error("the template failed: {0}")]
    Failed(String),
}

/// Renders a template's subject and body for `channel`, with `variables`
/// (every declared one must be given) and the recipient.
pub fn render(
    subject: &str,
    body: &str,
    declared: &[String],
    variables: &BTreeMap<String, String>,
    recipient: &RecipientView,
    channel: Option<Channel>,
) -> Result<Rendered, RenderError> {
    let missing: Vec<String> = declared
        .iter()
        .filter(|name| !variables.contains_key(*name))
        .cloned()
        .collect();
    if !missing.is_empty() {
        return Err(RenderError::Missing(missing));
    }
    let mut context: BTreeMap<&str, Value> = declared
        .iter()
        .filter_map(|name| {
            variables
                .get(name)
                .map(|v| (name.as_str(), Value::from(v.as_str())))
        })
        .collect();
    context.insert(RECIPIENT, Value::from_serialize(recipient));
    let env = &*ENVIRONMENT;
    let name = match channel {
        Some(Channel::InApp) => "body.html",
        Some(Channel::Chat) => "body.chat",
        _ => "body.txt",
    };
    let subject = render_bounded(env, "subject.txt", subject, &context)?;
    let body = render_bounded(env, name, body, &context)?;
    Ok(Rendered {
        subject: one_line(&subject),
        body,
    })
}

/// Renders `source` as the template `name`, refusing output beyond
/// [`MAX_RENDERED`] bytes as it is written rather than after.
fn render_bounded(
    env: &Environment<'static>,
    name: &str,
    source: &str,
    context: &BTreeMap<&str, Value>,
) -> Result<String, RenderError> {
    subset(source).map_err(RenderError::Failed)?;
    let template = env.template_from_named_str(name, source).map_err(failed)?;
    let mut out = Bounded(Vec::new());
    template
        .render_captured_to(context, &mut out)
        .map_err(|e| {
            if e.kind() == minijinja::ErrorKind::WriteFailure {
                RenderError::Failed(format!("the output is longer than {MAX_RENDERED} bytes"))
            } else {
                failed(e)
            }
        })?;
    // The writer takes whole `str` pieces or nothing, so the bytes are UTF-8.
    let text = String::from_utf8(out.0)
        .map_err(|_| RenderError::Failed("the output is not UTF-8".into()))?;
    // A string literal may spell one (`"\u0000"`); the inbox could not
    // store it.
    if text.contains('\0') {
        return Err(RenderError::Failed(
            "the output contains a NUL character".into(),
        ));
    }
    Ok(text)
}

/// The filters a template may use: each gives text at most a few times
/// longer than its input (a case change may turn one character into three)
/// or a number, and none takes a width or a count. `replace` is limited
/// further by [`check_replace`].
pub const FILTERS: &[&str] = &[
    "upper",
    "lower",
    "title",
    "capitalize",
    "trim",
    "replace",
    "default",
    "d",
    "length",
    "count",
    "first",
    "last",
    "int",
    "float",
    "abs",
    "round",
];

/// What a template may use, for the message refusing anything else.
pub const SUBSET: &str = "a template may use {{ … }}, {% if %} with {% elif %} and {% else %}, \
    {% raw %}, comments, comparisons, and, or, not, in, is, \
    and the filters upper, lower, title, capitalize, trim, replace (by text no longer than \
    what it replaces), default, length, count, first, last, int, float, abs and round";

/// Whether `source` keeps to the subset of Jinja a template may use (see
/// the module's documentation); the first thing it uses beyond it, if not.
/// A template that does not parse is not this function's to refuse (the
/// compile reports it); it passes.
// `SyntaxConfig` is a unit struct only while minijinja's `custom_syntax` is off.
#[allow(clippy::default_constructed_unit_structs)]
pub fn subset(source: &str) -> Result<(), String> {
    let Ok(parsed) = machinery::parse(
        source,
        "<template>",
        SyntaxConfig::default(),
        WhitespaceConfig::default(),
    ) else {
        return Ok(());
    };
    statement(&parsed).map_err(|used| format!("uses {used}, which {SUBSET}"))
}

/// Refuses a statement beyond the subset, naming it.
fn statement(stmt: &ast::Stmt<'_>) -> Result<(), String> {
    match stmt {
        ast::Stmt::Template(template) => template.children.iter().try_for_each(statement),
        ast::Stmt::EmitRaw(_) => Ok(()),
        ast::Stmt::EmitExpr(emit) => expression(&emit.expr),
        ast::Stmt::IfCond(cond) => {
            expression(&cond.expr)?;
            cond.true_body
                .iter()
                .chain(&cond.false_body)
                .try_for_each(statement)
        }
        ast::Stmt::ForLoop(_) => Err("{% for %}".to_owned()),
        ast::Stmt::Set(_) | ast::Stmt::SetBlock(_) => Err("{% set %}".to_owned()),
        ast::Stmt::WithBlock(_) => Err("{% with %}".to_owned()),
        ast::Stmt::AutoEscape(_) => Err("{% autoescape %}".to_owned()),
        ast::Stmt::FilterBlock(_) => Err("{% filter %}".to_owned()),
        ast::Stmt::Do(_) => Err("{% do %}".to_owned()),
        // Statements of minijinja features this build does not enable
        // (macros, includes, loop controls), should another crate enable them.
        #[allow(unreachable_patterns)]
        _ => Err("a statement other than {% if %}".to_owned()),
    }
}

/// Refuses an expression beyond the subset, naming what it uses.
fn expression(expr: &ast::Expr<'_>) -> Result<(), String> {
    use ast::BinOpKind as Op;
    match expr {
        ast::Expr::Var(_) | ast::Expr::Const(_) => Ok(()),
        ast::Expr::Slice(slice) => {
            expression(&slice.expr)?;
            [&slice.start, &slice.stop, &slice.step]
                .into_iter()
                .flatten()
                .try_for_each(expression)
        }
        ast::Expr::UnaryOp(op) => expression(&op.expr),
        ast::Expr::BinOp(op) => match op.op {
            Op::Concat => Err("~".to_owned()),
            Op::Add | Op::Sub | Op::Mul | Op::Div | Op::FloorDiv | Op::Rem | Op::Pow => {
                Err("arithmetic (+, -, *, /, //, %, **)".to_owned())
            }
            Op::Eq
            | Op::Ne
            | Op::Lt
            | Op::Lte
            | Op::Gt
            | Op::Gte
            | Op::ScAnd
            | Op::ScOr
            | Op::In => {
                expression(&op.left)?;
                expression(&op.right)
            }
        },
        ast::Expr::Compare(compare) => {
            expression(&compare.expr)?;
            compare.ops.iter().try_for_each(|op| expression(&op.expr))
        }
        ast::Expr::IfExpr(choice) => {
            expression(&choice.test_expr)?;
            expression(&choice.true_expr)?;
            choice.false_expr.iter().try_for_each(expression)
        }
        ast::Expr::Filter(filter) => {
            if !FILTERS.contains(&filter.name) {
                return Err(format!("the filter {}", filter.name));
            }
            if filter.name == "replace" {
                check_replace(&filter.args)?;
            }
            filter.expr.iter().try_for_each(expression)?;
            arguments(&filter.args)
        }
        ast::Expr::Test(test) => {
            expression(&test.expr)?;
            arguments(&test.args)
        }
        ast::Expr::GetAttr(get) => expression(&get.expr),
        ast::Expr::GetItem(get) => {
            expression(&get.expr)?;
            expression(&get.subscript_expr)
        }
        ast::Expr::Call(_) => Err("a function or method call".to_owned()),
        ast::Expr::List(list) => list.items.iter().try_for_each(expression),
        ast::Expr::Map(map) => map.keys.iter().chain(&map.values).try_for_each(expression),
    }
}

fn arguments(args: &[ast::CallArg<'_>]) -> Result<(), String> {
    args.iter().try_for_each(|arg| match arg {
        ast::CallArg::Pos(expr)
        | ast::CallArg::Kwarg(_, expr)
        | ast::CallArg::PosSplat(expr)
        | ast::CallArg::KwargSplat(expr) => expression(expr),
    })
}

/// `replace` only by literal text no longer than the literal it replaces,
/// so it never lengthens its input: `replace("", x)` puts `x` between every
/// two characters, and a chain of such would grow geometrically.
fn check_replace(args: &[ast::CallArg<'_>]) -> Result<(), String> {
    let literal = |arg: &ast::CallArg<'_>| match arg {
        ast::CallArg::Pos(ast::Expr::Const(value)) => value.value.as_str().map(str::len),
        _ => None,
    };
    match args {
        [from, to] => match (literal(from), literal(to)) {
            (Some(from), Some(to)) if to <= from => Ok(()),
            _ => Err(
                "replace by anything but literal text no longer than what it replaces".to_owned(),
            ),
        },
        _ => Err("replace with other than two arguments".to_owned()),
    }
}

/// Output that refuses a write taking it beyond [`MAX_RENDERED`] bytes.
struct Bounded(Vec<u8>);

impl std::io::Write for Bounded {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if self.0.len() + bytes.len() > MAX_RENDERED {
            return Err(std::io::Error::other("rendered output too long"));
        }
        self.0.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn failed(error: Error) -> RenderError {
    RenderError::Failed(error.detail().unwrap_or("rendering failed").to_owned())
}

/// A subject is one line: control characters become spaces.
fn one_line(subject: &str) -> String {
    subject
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned()
}

/// The environment every template runs in, built once: strict about
/// undefined values, escaping by the name's extension, and bounded work.
/// Rendering a string template does not change it, so the delivery workers
/// share it.
static ENVIRONMENT: LazyLock<Environment<'static>> = LazyLock::new(environment);

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_fuel(Some(50_000));
    env.set_recursion_limit(20);
    env.set_auto_escape_callback(|name| match name.rsplit('.').next() {
        Some("html") => AutoEscape::Html,
        Some("chat") => AutoEscape::Custom("chat"),
        _ => AutoEscape::None,
    });
    env.set_formatter(format_value);
    env
}

/// Escapes chat markup for `chat` templates; the default otherwise.
fn format_value(out: &mut minijinja::Output, state: &State, value: &Value) -> Result<(), Error> {
    if state.auto_escape() == AutoEscape::Custom("chat") && !value.is_safe() {
        let text = value.to_string();
        let escaped = text
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;");
        return out.write_str(&escaped).map_err(Error::from);
    }
    minijinja::escape_formatter(out, state, value)
}

#[cfg(test)]
mod props;

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(tag: &str) -> Vec<Locale> {
        Locale::parse(tag).expect("a tag").fallback_chain()
    }

    #[test]
    fn the_most_specific_localised_variable_wins_along_the_fallback_chain() {
        let given = vars(&[
            ("headline", "Outage"),
            ("headline@de", "Störung"),
            ("headline@de-CH", "Störig"),
            ("body", "We are on it."),
            ("body@de", "Wir sind dran."),
        ]);

        let swiss = localise(&given, &chain("de-CH"));
        let german = localise(&given, &chain("de-DE"));
        let french = localise(&given, &chain("fr"));

        assert_eq!(
            swiss,
            vars(&[("body", "Wir sind dran."), ("headline", "Störig")])
        );
        assert_eq!(
            german,
            vars(&[("body", "Wir sind dran."), ("headline", "Störung")])
        );
        assert_eq!(
            french,
            vars(&[("body", "We are on it."), ("headline", "Outage")])
        );
    }

    #[test]
    fn localised_names_match_whatever_the_case_of_their_tag_and_plain_names_pass() {
        let given = vars(&[
            ("level", "2"),
            ("headline", "Outage"),
            ("headline@ZH-hant", "中斷"),
        ]);

        let seen = localise(&given, &chain("zh-Hant-TW"));

        assert_eq!(seen, vars(&[("headline", "中斷"), ("level", "2")]));
        assert_eq!(
            localise(&given, &[Locale::default_locale()])
                .get("headline")
                .map(String::as_str),
            Some("Outage")
        );
    }

    #[test]
    fn a_localised_name_needs_a_variable_name_and_a_real_tag() {
        assert!(split_localised("headline@de-CH").is_some());
        assert!(split_localised("headline").is_some());
        assert!(split_localised("headline@").is_none());
        assert!(split_localised("Head@de").is_none());
        assert!(split_localised("headline@not a tag").is_none());
    }

    fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn declared(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| (*n).to_owned()).collect()
    }

    fn ann() -> RecipientView {
        RecipientView {
            name: "Ann <Admin> & Co".into(),
            locale: "en".into(),
        }
    }

    #[test]
    fn a_template_using_an_undeclared_variable_is_refused_when_saved() {
        let problems = check(
            "Re {{ reference }}",
            "Dear {{ recipient.name }}, {{ refnd }}",
            &declared(&["reference"]),
        );
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].0, "body");
        assert!(problems[0].1.contains("refnd"), "{problems:?}");
    }

    #[test]
    fn recipient_fields_beyond_name_and_locale_are_unknown() {
        let problems = check("", "{{ recipient.phone }}", &[]);
        assert!(problems[0].1.contains("recipient.phone"), "{problems:?}");
    }

    #[test]
    fn a_template_using_only_declared_variables_and_the_recipient_is_accepted() {
        let problems = check(
            "Complaint {{ reference }}",
            "{% if state == 'resolved' %}Done{% else %}Working{% endif %}, {{ recipient.name | upper }}",
            &declared(&["reference", "state"]),
        );
        assert!(problems.is_empty(), "{problems:?}");
    }

    #[test]
    fn syntax_errors_and_bad_declarations_are_reported_per_field() {
        let problems = check(
            "{{ ",
            "{% if %}",
            &declared(&["Bad", "x", "x", "recipient"]),
        );
        let fields: Vec<_> = problems.iter().map(|p| p.0).collect();
        assert_eq!(
            fields,
            ["variables", "variables", "variables"],
            "{problems:?}"
        );
        let problems = check("{{ ", "ok", &[]);
        assert_eq!(problems[0].0, "subject");
    }

    #[test]
    fn values_are_escaped_for_the_channel() {
        let body = "Hello {{ recipient.name }}";
        let for_channel = |channel| {
            render("", body, &[], &vars(&[]), &ann(), Some(channel))
                .expect("renders")
                .body
        };
        assert_eq!(
            for_channel(Channel::InApp),
            "Hello Ann &lt;Admin&gt; &amp; Co"
        );
        assert_eq!(
            for_channel(Channel::Chat),
            "Hello Ann &lt;Admin&gt; &amp; Co"
        );
        assert_eq!(for_channel(Channel::Email), "Hello Ann <Admin> & Co");
        assert_eq!(for_channel(Channel::Sms), "Hello Ann <Admin> & Co");
    }

    #[test]
    fn a_message_missing_a_declared_variable_is_not_rendered() {
        let error = render(
            "",
            "{{ a }}{{ b }}",
            &declared(&["a", "b"]),
            &vars(&[("a", "1")]),
            &ann(),
            None,
        );
        assert_eq!(error, Err(RenderError::Missing(vec!["b".into()])));
    }

    #[test]
    fn a_subject_is_one_line() {
        let rendered = render(
            "{{ s }}",
            "x",
            &declared(&["s"]),
            &vars(&[("s", "a\r\nBcc: x")]),
            &ann(),
            None,
        )
        .expect("renders");
        assert_eq!(rendered.subject, "a  Bcc: x");
    }

    #[test]
    fn a_runaway_template_is_refused_when_saved_and_never_runs() {
        let body =
            "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}";

        let saved = check("", body, &[]);
        let rendered = render("", body, &[], &vars(&[]), &ann(), None);

        assert_eq!(saved.len(), 1, "{saved:?}");
        assert!(
            saved[0]
                .1
                .starts_with("uses {% for %}, which a template may use"),
            "{saved:?}"
        );
        assert!(
            matches!(&rendered, Err(RenderError::Failed(why)) if why.starts_with("uses {% for %}")),
            "{rendered:?}"
        );
    }

    #[test]
    fn what_could_grow_without_bound_or_unescape_a_value_is_refused_and_named() {
        let refused = [
            ("{% set a = x %}{{ a }}", "{% set %}"),
            ("{% set a %}{{ x }}{% endset %}", "{% set %}"),
            ("{% with a = x %}{{ a }}{% endwith %}", "{% with %}"),
            ("{% for c in x %}{{ c }}{% endfor %}", "{% for %}"),
            (
                "{% autoescape false %}{{ x }}{% endautoescape %}",
                "{% autoescape %}",
            ),
            ("{% filter upper %}{{ x }}{% endfilter %}", "{% filter %}"),
            ("{{ x ~ x }}", "~"),
            ("{{ x * 100000000 }}", "arithmetic"),
            ("{% if x + x %}y{% endif %}", "arithmetic"),
            ("{{ range(10) }}", "a function or method call"),
            ("{{ x | safe }}", "the filter safe"),
            ("{{ x | e | upper | e }}", "the filter e"),
            ("{{ x | join(x) }}", "the filter join"),
            ("{{ x | center(1000000000) }}", "the filter center"),
            ("{{ x | urlencode }}", "the filter urlencode"),
            (
                "{{ x | replace('', x) }}",
                "replace by anything but literal text",
            ),
            (
                "{{ x | replace('a', 'aa') }}",
                "replace by anything but literal text",
            ),
            (
                "{{ x | replace(x, '') }}",
                "replace by anything but literal text",
            ),
            (
                "{{ x | replace('a') }}",
                "replace with other than two arguments",
            ),
            ("{{ [x | join(x)] }}", "the filter join"),
            ("{{ x if x | safe else x }}", "the filter safe"),
        ];
        for (body, used) in refused {
            let problems = check("", body, &declared(&["x"]));

            assert_eq!(problems.len(), 1, "{body}: {problems:?}");
            assert_eq!(problems[0].0, "body", "{body}");
            assert!(
                problems[0].1.starts_with(&format!("uses {used}")),
                "{body}: {problems:?}"
            );
            assert!(problems[0].1.ends_with(SUBSET), "{body}: {problems:?}");
        }
    }

    #[test]
    fn the_message_refusing_a_template_names_every_filter_it_may_use() {
        for filter in FILTERS.iter().filter(|f| **f != "d") {
            assert!(
                SUBSET.contains(&format!(" {filter}")),
                "{filter} is allowed but not named in: {SUBSET}"
            );
        }
    }

    #[test]
    fn the_subset_keeps_conditions_comparisons_and_shortening_filters() {
        let body = "{# note #}{% raw %}{{ literal }}{% endraw %}\
            {% if level is defined and level | int >= 2 and x not in ['a', 'b'] %}\
            {{ x | replace('_', ' ') | title }}{% elif x == 'y' %}{{ x[0] | upper }}\
            {% else %}{{ (x | default('none'))[1:] }}{{ x | length }}{% endif %}\
            {{ 'yes' if x else 'no' }}{{ -1 | abs }}";

        let problems = check(
            "{{ x | trim | capitalize }}",
            body,
            &declared(&["x", "level"]),
        );

        assert!(problems.is_empty(), "{problems:?}");
    }

    #[test]
    fn every_template_the_migrations_seed_keeps_to_the_subset() {
        let migrations = [
            include_str!("../../migrations/20261122200003_default_templates.sql"),
            include_str!("../../migrations/20261122200005_survey_invitation_token.sql"),
            include_str!("../../migrations/20261122200006_crisis_statement_template.sql"),
        ];
        let mut seen = 0;
        for sql in migrations {
            // SQL string literals, with '' for a quote inside one, outside
            // comments.
            let code: Vec<&str> = sql
                .lines()
                .filter(|line| !line.trim_start().starts_with("--"))
                .collect();
            let unquoted = code.join("\n").replace("''", "\u{1}");
            for literal in unquoted.split('\'').skip(1).step_by(2) {
                let literal = literal.replace('\u{1}', "'");
                if literal.contains("{{") {
                    seen += 1;
                    assert_eq!(subset(&literal), Ok(()), "{literal}");
                }
            }
        }
        assert_eq!(seen, 19, "templates read from the migrations");
    }

    #[test]
    fn a_nul_in_the_wording_is_refused_and_one_spelled_by_an_escape_fails_its_render() {
        let spelled = r#"Hello{{ "\u0000" }}"#;

        let saved = check("a\0", "b\0", &[]);
        let rendered = render("", spelled, &[], &vars(&[]), &ann(), None);

        assert_eq!(
            saved,
            [("subject", NUL.to_owned()), ("body", NUL.to_owned())]
        );
        assert!(check("", spelled, &[]).is_empty());
        assert!(
            matches!(rendered, Err(RenderError::Failed(_))),
            "{rendered:?}"
        );
    }
}
