//! Template handlers: create, get, list, update (a new version), preview.

use redress_platform::audit::AuditEntry;
use redress_platform::auth::Caller;
use redress_platform::error::{ApiError, FieldViolations};
use redress_platform::page::{self, Fingerprint};
use redress_proto::notifications::v1 as pb;
use uuid::Uuid;

use super::audit::TEMPLATE_SAVED;
use super::convert::{self, channel_opt, locale, style_code};
use super::{NotificationApi, id_of, paging};
use crate::delivery::choose;
use crate::domain::template::{self, RecipientView, check, check_kind};
use crate::store::templates::{self as store, TemplateRow};

/// Validated identity and wording of a template.
fn validated(t: pb::Template, v: &mut FieldViolations, now: jiff::Timestamp) -> TemplateRow {
    let pb::Template {
        name: _,
        kind,
        channel,
        locale: tag,
        style,
        subject,
        body,
        variables,
        version: _,
        create_time: _,
        update_time: _,
        etag: _,
    } = t;
    v.check("template.kind", check_kind(&kind));
    let channel = channel_opt(channel, "template.channel", v);
    let locale = locale(&tag, "template.locale", v);
    let style = style_code(style, "template.style", v);
    for (field, problem) in check(&subject, &body, &variables) {
        v.add(format!("template.{field}"), problem);
    }
    TemplateRow {
        id: Uuid::now_v7(),
        kind,
        channel: channel.map(|c| c.code().to_owned()).unwrap_or_default(),
        locale: locale.as_str().to_owned(),
        style: style.to_owned(),
        version: 1,
        subject,
        body,
        variables,
        create_time: now,
        update_time: now,
    }
}

/// The audit entry of saving `row` (a new template or a new version): its
/// identity and version, never its wording.
fn audited(caller: &Caller, method: &'static str, row: &TemplateRow) -> AuditEntry {
    AuditEntry::by(
        caller,
        TEMPLATE_SAVED,
        method,
        format!("templates/{}", row.id),
        row.update_time,
    )
    .detail("kind", &row.kind)
    .detail("channel", &row.channel)
    .detail("locale", &row.locale)
    .detail("style", &row.style)
    .detail("version", row.version)
}

impl NotificationApi {
    pub(super) async fn create_template(
        &self,
        caller: &Caller,
        r: pb::CreateTemplateRequest,
    ) -> Result<pb::CreateTemplateResponse, ApiError> {
        let Some(t) = r.template else {
            return Err(ApiError::invalid("template", "is required"));
        };
        let mut v = FieldViolations::new();
        let row = validated(t, &mut v, self.clock.now());
        v.into_result()?;
        let mut tx = self.pool.begin().await?;
        let Some(saved) = store::create(&mut tx, &row).await? else {
            return Err(ApiError::AlreadyExists {
                reason: "TEMPLATE_EXISTS",
                message: "a template for this kind, channel, locale and style exists; update it"
                    .into(),
            });
        };
        audited(caller, "CreateTemplate", &saved)
            .record(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(pb::CreateTemplateResponse {
            template: Some(convert::template(&saved)),
        })
    }

    pub(super) async fn get_template(
        &self,
        r: pb::GetTemplateRequest,
    ) -> Result<pb::GetTemplateResponse, ApiError> {
        let id = id_of(&r.name, "templates/{uuid}", "name")?;
        if r.version < 0 {
            return Err(ApiError::invalid("version", "must not be negative"));
        }
        let mut conn = self.pool.acquire().await?;
        let found = if r.version == 0 {
            store::get(&mut conn, id, false).await?
        } else {
            store::get_version(&mut conn, id, r.version).await?
        };
        let found = found.ok_or_else(|| ApiError::not_found("Template", r.name.clone()))?;
        Ok(pb::GetTemplateResponse {
            template: Some(convert::template(&found)),
        })
    }

    pub(super) async fn list_templates(
        &self,
        r: pb::ListTemplatesRequest,
    ) -> Result<pb::ListTemplatesResponse, ApiError> {
        let pb::ListTemplatesRequest {
            kind,
            page_size,
            page_token,
        } = r;
        if !kind.is_empty() {
            check_kind(&kind).map_err(|e| ApiError::invalid("kind", e))?;
        }
        let fingerprint = Fingerprint::of("ListTemplates", &[kind.as_bytes()]);
        let (size, cursor) = paging(page_size, &page_token, fingerprint)?;
        // The cursor's text goes to PostgreSQL as query parameters, which
        // cannot hold a NUL: a token made by hand with one is not ours.
        let after: Option<[String; 5]> = match cursor {
            Some(bytes) => Some(
                serde_json::from_slice::<[String; 5]>(&bytes)
                    .ok()
                    .filter(|keys| !keys.iter().any(|k| k.contains('\0')))
                    .ok_or_else(|| {
                        ApiError::invalid("page_token", "is not a token of this list")
                    })?,
            ),
            None => None,
        };
        let kind = (!kind.is_empty()).then_some(kind.as_str());
        let rows = store::list(&self.pool, kind, after.as_ref(), size + 1).await?;
        let (rows, next_page_token) = page::next_page(rows, size, fingerprint, |t| {
            serde_json::to_vec(&[&t.kind, &t.channel, &t.locale, &t.style, &t.id.to_string()])
                .unwrap_or_default()
        });
        Ok(pb::ListTemplatesResponse {
            templates: rows.iter().map(convert::template).collect(),
            next_page_token,
        })
    }

    pub(super) async fn update_template(
        &self,
        caller: &Caller,
        r: pb::UpdateTemplateRequest,
    ) -> Result<pb::UpdateTemplateResponse, ApiError> {
        let Some(t) = r.template else {
            return Err(ApiError::invalid("template", "is required"));
        };
        let id = id_of(&t.name, "templates/{uuid}", "template.name")?;
        let etag = t.etag.clone();
        let mut v = FieldViolations::new();
        let wanted = validated(t, &mut v, self.clock.now());
        v.into_result()?;
        let mut tx = self.pool.begin().await?;
        let current = store::get(&mut tx, id, true)
            .await?
            .ok_or_else(|| ApiError::not_found("Template", format!("templates/{id}")))?;
        if !etag.is_empty() && etag != format!("\"{}\"", current.version) {
            return Err(ApiError::Aborted {
                reason: "ETAG_MISMATCH",
                message: "the template changed since it was read; read it again".into(),
            });
        }
        let mut v = FieldViolations::new();
        if (
            wanted.kind.as_str(),
            wanted.channel.as_str(),
            wanted.locale.as_str(),
            wanted.style.as_str(),
        ) != (
            current.kind.as_str(),
            current.channel.as_str(),
            current.locale.as_str(),
            current.style.as_str(),
        ) {
            v.add(
                "template",
                "kind, channel, locale and style cannot change; create another template",
            );
        }
        v.into_result()?;
        let next = TemplateRow {
            version: current.version + 1,
            subject: wanted.subject,
            body: wanted.body,
            variables: wanted.variables,
            update_time: wanted.update_time,
            ..current
        };
        store::update(&mut tx, &next).await?;
        audited(caller, "UpdateTemplate", &next)
            .record(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(pb::UpdateTemplateResponse {
            template: Some(convert::template(&next)),
        })
    }

    pub(super) async fn preview_template(
        &self,
        r: pb::PreviewTemplateRequest,
    ) -> Result<pb::PreviewTemplateResponse, ApiError> {
        let pb::PreviewTemplateRequest {
            source,
            variables,
            recipient_display_name,
        } = r;
        let mut v = FieldViolations::new();
        let given = convert::variables(&variables, "variables", &mut v);
        let (row, channel, name) = match source {
            None => return Err(ApiError::invalid("source", "give a lookup or a draft")),
            Some(pb::preview_template_request::Source::Draft(draft)) => {
                let row = validated(draft, &mut v, self.clock.now());
                v.into_result()?;
                let channel = crate::domain::channel::Channel::from_code(&row.channel);
                (row, channel, String::new())
            }
            Some(pb::preview_template_request::Source::Lookup(lookup)) => {
                let pb::TemplateLookup {
                    kind,
                    channel,
                    locale: tag,
                    style,
                } = lookup;
                v.check("lookup.kind", check_kind(&kind));
                let channel = channel_opt(channel, "lookup.channel", &mut v);
                let locale = locale(&tag, "lookup.locale", &mut v);
                let style = style_code(style, "lookup.style", &mut v);
                v.into_result()?;
                let all = store::of_kinds(&self.pool, std::slice::from_ref(&kind)).await?;
                let found = choose(&all, &kind, channel, &locale, style).cloned().ok_or_else(|| ApiError::FailedPrecondition {
                    reason: "NO_TEMPLATE",
                    message: format!("no template of kind {kind:?} for this channel or any locale it falls back to"),
                    allowed: vec!["CreateTemplate".into()],
                })?;
                let name = format!("templates/{}", found.id);
                (found, channel, name)
            }
        };
        let view = RecipientView {
            name: recipient_display_name,
            locale: row.locale.clone(),
        };
        let rendered = template::render(
            &row.subject,
            &row.body,
            &row.variables,
            &given,
            &view,
            channel,
        )
        .map_err(|e| match e {
            template::RenderError::Missing(names) => {
                let mut v = FieldViolations::new();
                for name in names {
                    v.add(
                        format!("variables[{name}]"),
                        "is declared by the template and required",
                    );
                }
                ApiError::InvalidArgument(v)
            }
            template::RenderError::Failed(why) => ApiError::FailedPrecondition {
                reason: "TEMPLATE_FAILED",
                message: format!("the template failed to render: {why}"),
                allowed: vec!["UpdateTemplate".into()],
            },
        })?;
        Ok(pb::PreviewTemplateResponse {
            template_version: if name.is_empty() { 0 } else { row.version },
            template: name,
            locale: row.locale,
            subject: rendered.subject,
            body: rendered.body,
        })
    }
}
