package handlers

import (
	"net/http"
	"sync"

	"github.com/gin-gonic/gin"
)

// The OpenAPI 3 description of /api/v1, built as a Go value so the
// compiler checks its shape; TestOpenAPIMatchesRoutes checks that it lists
// exactly the routes router.go registers.

type oaParam struct {
	Name        string         `json:"name"`
	In          string         `json:"in"`
	Required    bool           `json:"required,omitempty"`
	Description string         `json:"description,omitempty"`
	Schema      map[string]any `json:"schema"`
}

type oaOp struct {
	Summary     string             `json:"summary"`
	Description string             `json:"description,omitempty"`
	OperationID string             `json:"operationId"`
	Parameters  []oaParam          `json:"parameters,omitempty"`
	RequestBody map[string]any     `json:"requestBody,omitempty"`
	Responses   map[string]oaReply `json:"responses"`
}

type oaReply struct {
	Description string         `json:"description"`
	Content     map[string]any `json:"content,omitempty"`
}

func str() map[string]any             { return map[string]any{"type": "string"} }
func enum(v ...string) map[string]any { return map[string]any{"type": "string", "enum": v} }
func query(name, desc string, schema map[string]any) oaParam {
	return oaParam{Name: name, In: "query", Description: desc, Schema: schema}
}
func pathParam(name, desc string) oaParam {
	return oaParam{Name: name, In: "path", Required: true, Description: desc, Schema: str()}
}
func jsonBody(desc string, props ...string) map[string]any {
	p := map[string]any{}
	for _, k := range props {
		p[k] = str()
	}
	return map[string]any{"required": true, "description": desc,
		"content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"type": "object", "properties": p}}}}
}

var errorReply = oaReply{Description: "error", Content: map[string]any{"application/json": map[string]any{
	"schema": map[string]any{"$ref": "#/components/schemas/Error"}}}}

// op builds an operation answering okStatus with JSON, plus the errors
// every admin route may give.
func op(id, summary string, okStatus string, params ...oaParam) oaOp {
	return oaOp{Summary: summary, OperationID: id, Parameters: params, Responses: map[string]oaReply{
		okStatus: {Description: "ok", Content: map[string]any{"application/json": map[string]any{"schema": map[string]any{"type": "object"}}}},
		"400":    errorReply, "401": errorReply, "403": errorReply, "404": errorReply, "409": errorReply, "500": errorReply,
	}}
}

func withBody(o oaOp, body map[string]any) oaOp { o.RequestBody = body; return o }

// importDescription tells what the answer of a ledger import says per row.
const importDescription = "Each row of the answer says its action (create, update, unchanged) and state, " +
	"with state_name in Chinese for the clerk to check before the real run. A new row takes the state its ledger records " +
	"in 备注, or in a 整改情况/完成情况/整改状态/状态 column: 已销号 → closed; 已整改, 已完成, 整改完成, 已整改到位 → pending_review; " +
	"整改中, 未整改, 正在整改 or nothing → rectifying (reported without a unit or deadline). " +
	"A hazard already in the ledger keeps its own state. Rows imported done notify nobody. " +
	"A row hidden in the workbook is imported too, with hidden: true and a line in warnings."

func described(o oaOp, text string) oaOp { o.Description = text; return o }

var hazardFilters = []oaParam{
	query("state", "unverified, reported, rectifying, pending_review, closed, withdrawn; repeatable or comma-separated", str()),
	query("region", "county unit code", str()),
	query("sector", "行业领域, e.g. 燃气", str()),
	query("unit", "responsible unit code", str()),
	query("campaign", "campaign code", str()),
	query("colour", "supervision colour", enum("red", "yellow", "blue")),
	query("overdue", "only hazards overdue today", enum("true", "false")),
	query("grade", "隐患等级", enum("一般", "重大", "general", "major")),
	query("from", "found on or after, YYYY-MM-DD", map[string]any{"type": "string", "format": "date"}),
	query("to", "found on or before, YYYY-MM-DD", map[string]any{"type": "string", "format": "date"}),
	query("reporter", "reporter userid", str()),
}

var pageParams = []oaParam{
	query("cursor", "opaque cursor: next_cursor of the previous page", str()),
	query("limit", "page size, default 50, at most 500", map[string]any{"type": "integer", "minimum": 1, "maximum": 500}),
}

var summaryParams = []oaParam{
	query("from", "found on or after, YYYY-MM-DD", map[string]any{"type": "string", "format": "date"}),
	query("to", "found on or before, YYYY-MM-DD", map[string]any{"type": "string", "format": "date"}),
	query("region", "county unit code", str()),
	query("sector", "行业领域", str()),
	query("scope", "unit code whose subtree is counted", str()),
}

func cat(lists ...[]oaParam) []oaParam {
	var out []oaParam
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// openAPIDoc is the document; paths use OpenAPI's {param} syntax.
func openAPIDoc() map[string]any {
	xlsx := "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	ledger := op("exportLedger", "The official ledger (重点隐患问题动态整改台账) as .xlsx", "200",
		cat(hazardFilters, []oaParam{query("scope", "unit code whose subtree is exported", str())})...)
	ledger.Responses["200"] = oaReply{Description: "the workbook", Content: map[string]any{xlsx: map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}}}}
	photo := op("getPhoto", "A stored photo", "200", pathParam("id", "photo id"))
	photo.Responses["200"] = oaReply{Description: "the image", Content: map[string]any{"image/*": map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}}}}
	spec := op("openAPI", "This document", "200")

	paths := map[string]map[string]oaOp{
		"/api/v1/openapi.json": {"get": spec},
		"/api/v1/hazards": {
			"get": op("listHazards", "List hazards, cursor-paginated, with derived overdue/overdue_days", "200", cat(hazardFilters, pageParams)...),
			"post": withBody(op("createHazard", "Report a hazard on behalf of a directory user; one that may repeat an open hazard of the county (chat's 合并/继续 rule) is refused 409 with its number in duplicate, unless force is true", "201"),
				jsonBody("actor (userid) is required; region and unit are unit codes; dates YYYY-MM-DD; force files a likely duplicate",
					"actor", "title", "description", "measures", "remarks", "enterprise", "location", "grade", "sector",
					"inspection_date", "deadline", "region", "unit", "lat", "lng", "force")),
		},
		"/api/v1/hazards/{number}": {"get": op("getHazard", "A hazard with its events and photo links", "200", pathParam("number", "YH2023-0012, or 12 for this year"))},
		"/api/v1/hazards/{number}/transitions": {"post": withBody(op("transition", "Act on a hazard as a directory user; chat's permission rules apply", "200",
			pathParam("number", "hazard number")),
			jsonBody("action: assign|accept|submit|pass|reject|list|request_extend|approve_extend|withdraw|dismiss; unit is a code; deadline YYYY-MM-DD; colour red|yellow|blue; outcome 不属实|已处理 (dismiss, with note as the reason)",
				"actor", "action", "note", "unit", "deadline", "colour", "outcome"))},
		"/api/v1/campaigns/{code}/reports": {"post": withBody(op("campaignReport", "Record that a unit handed in a campaign report (chat's 报送); 201 new, 200 already recorded", "201",
			pathParam("code", "campaign code or name")),
			jsonBody("actor is a directory user; unit a code (default the actor's county or special committee); material part of a deadline's name (default the earliest owed)",
				"actor", "unit", "material", "note"))},
		"/api/v1/units": {
			"get": op("listUnits", "Active units in directory order", "200",
				query("unverified", "only units created for names the directory did not have, not yet confirmed", enum("true", "false"))),
			"post": withBody(op("saveUnit", "Create or update a unit by code. A field left out keeps an existing unit's value: parent, and sector (the 行业领域 a special committee answers for); an explicit empty sector (\"sector\": \"\") clears it", "200"), jsonBody("a unit", "code", "name", "kind", "parent", "sector", "active")),
		},
		"/api/v1/units/{code}/deactivate": {"post": op("deactivateUnit", "Deactivate a unit; 409 while hazards not yet closed or withdrawn name it (merge it into the unit taking over instead)", "200", pathParam("code", "unit code"))},
		"/api/v1/units/{code}/bind-code": {"post": withBody(op("bindCode", "A one-time code (6 digits, 72 h) binding a WeChat follower as the unit's contact", "200",
			pathParam("code", "unit code")), jsonBody("actor, when given, must be a supervisor over the unit", "actor"))},
		"/api/v1/units/{code}/group": {"post": withBody(op("setUnitGroup", "Name the unit's WeCom group for pushes: a robot webhook key or an app chat id; both empty removes it", "200",
			pathParam("code", "unit code")), jsonBody("one of webhook_key and chat_id", "webhook_key", "chat_id"))},
		"/api/v1/units/{code}/merge": {"post": withBody(op("mergeUnit", "Merge a unit (usually an unverified one) into another: its hazards (one event each) and users move, it is deactivated", "200",
			pathParam("code", "unit code")), jsonBody("into: the target unit's code; actor: userid recorded on the events (optional)", "into", "actor"))},
		"/api/v1/units/{code}/confirm": {"post": withBody(op("confirmUnit", "Confirm an unverified unit, optionally renaming or re-kinding it", "200",
			pathParam("code", "unit code")), jsonBody("optional", "name", "kind"))},
		"/api/v1/users": {
			"get":  op("listUsers", "Directory users", "200"),
			"post": withBody(op("saveUser", "Create or update a user by userid; when an existing user is deactivated or changes roles or unit, queued_notices says how many messages waiting for them were re-routed to whoever holds their role now or dropped (failed)", "200"), jsonBody("a user", "userid", "name", "unit", "roles", "mobile", "active")),
		},
		"/api/v1/users/{userid}/deactivate": {"post": op("deactivateUser", "Deactivate a user; messages waiting in the outbox for them go to whoever holds their role for the hazard now, or are marked failed when nobody does: queued_notices {rerouted, dropped, message} says how many", "200", pathParam("userid", "WeCom userid"))},
		"/api/v1/directory": {"post": withBody(op("importDirectory", "Import a directory file (units, users, campaigns), all or nothing", "200"),
			map[string]any{"required": true, "content": map[string]any{"application/yaml": map[string]any{"schema": map[string]any{"type": "string"}}}})},
		"/api/v1/summary": {"get": op("summary", "情况小结 sentence, figures and a breakdown", "200",
			cat(summaryParams, []oaParam{query("by", "breakdown", enum("region", "sector", "unit"))})...)},
		"/api/v1/ranking": {"get": op("ranking", "考核排名 by rate, overdue and days to close", "200",
			cat(summaryParams, []oaParam{query("by", "rank regions or responsible units", enum("region", "unit"))})...)},
		"/api/v1/ledger.xlsx": {"get": ledger},
		"/api/v1/ledger/import": {"post": described(withBody(op("importLedger", "Import a ledger file (.xlsx or .csv); dry run by default", "200",
			query("dry_run", "true: report only, write nothing", enum("true", "false")),
			query("actor", "admin userid the import is made as", str()),
			query("name", "file name, for a raw body", str())),
			map[string]any{"required": true, "content": map[string]any{
				"multipart/form-data":      map[string]any{"schema": map[string]any{"type": "object", "properties": map[string]any{"file": map[string]any{"type": "string", "format": "binary"}}}},
				"application/octet-stream": map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}},
			}}), importDescription)},
		"/api/v1/outbox": {"get": op("listOutbox", "Outgoing messages", "200",
			cat([]oaParam{query("state", "outbox state", enum("pending", "sent", "failed", "ended"))}, pageParams)...)},
		"/api/v1/jobs/{name}/run": {"post": op("runJob", "Run a scheduled job now", "200", pathParam("name", "job name"))},
		"/api/v1/photos/{id}":     {"get": photo},
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{"title": "hazardbot admin API", "version": "1",
			"description": "重点隐患问题动态整改台账 admin API. Every route needs Authorization: Bearer HAZARDBOT_ADMIN_TOKEN."},
		"security": []any{map[string]any{"bearer": []any{}}},
		"paths":    paths,
		"components": map[string]any{
			"securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer"}},
			"schemas": map[string]any{"Error": map[string]any{"type": "object", "required": []string{"code", "message"},
				"properties": map[string]any{"code": str(), "message": str()}}},
		},
	}
}

var openAPIOnce = sync.OnceValue(openAPIDoc)

// openAPI: GET /api/v1/openapi.json.
func (s *Server) openAPI(c *gin.Context) {
	c.JSON(http.StatusOK, openAPIOnce())
}
