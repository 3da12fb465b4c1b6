import Hummingbird
import NIOCore

/// The API's OpenAPI document, served at `GET /openapi.yaml`: every dialect (DESIGN.md §6) — native (`/api/v1`),
/// Deploys (`/api/deploys`), Dokploy (`/api/deployment.*`) and Cloudflare Pages (`/client/v4/...`) — and `/health`.
enum OpenAPIDocument {
    /// `GET /openapi.yaml`: the document as YAML.
    static func response() -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/yaml; charset=utf-8"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: yaml)))
    }

    /// The document.
    static let yaml = #"""
        openapi: 3.1.0
        info:
          title: Slipway
          version: "1"
          description: >-
            Slipway's API in all its dialects: native (`/api/v1`), Deploys (`/api/deploys`), Dokploy
            (`/api/deployment.*`) and Cloudflare Pages (`/client/v4/...`). Every route but `/health`, `/openapi.yaml` and
            the git webhook needs an API token.
        servers:
          - url: /
        security:
          - bearer: []
          - apiKey: []
        tags:
          - name: health
          - name: native
          - name: deploys
          - name: dokploy
          - name: cloudflare
        paths:
          /health:
            get:
              tags: [health]
              operationId: health
              security: []
              responses:
                "200":
                  description: The server is up.
                  content:
                    application/json:
                      schema:
                        type: object
                        required: [status]
                        properties:
                          status: {type: string, const: ok}
          /api/v1/me:
            get:
              tags: [native]
              operationId: nativeMe
              responses:
                "200":
                  description: The token's user, workspace and scopes.
                  content:
                    application/json:
                      schema:
                        type: object
                        required: [user, workspace, token, scopes]
                        properties:
                          user:
                            type: object
                            required: [id, name]
                            properties:
                              id: {type: integer}
                              name: {type: string}
                          workspace:
                            type: object
                            required: [id, uid, name, cloudflare_account_id]
                            properties:
                              id: {type: integer}
                              uid: {type: string, format: uuid}
                              name: {type: string}
                              cloudflare_account_id: {type: string}
                          token:
                            type: object
                            required: [id, name]
                            properties:
                              id: {type: integer}
                              name: {type: string}
                          scopes: {type: array, items: {$ref: "#/components/schemas/NativeScope"}}
                "401": {$ref: "#/components/responses/NativeError"}
                "403": {$ref: "#/components/responses/NativeError"}
                "429": {$ref: "#/components/responses/NativeError"}
          /api/v1/tokens:
            get:
              tags: [native]
              operationId: nativeListTokens
              description: The workspace's API tokens (admin scope); secrets are never shown.
              responses:
                "200":
                  description: Every token of the workspace.
                  content:
                    application/json:
                      schema:
                        type: object
                        required: [data]
                        properties:
                          data: {type: array, items: {$ref: "#/components/schemas/NativeToken"}}
                "401": {$ref: "#/components/responses/NativeError"}
                "403": {$ref: "#/components/responses/NativeError"}
                "429": {$ref: "#/components/responses/NativeError"}
            post:
              tags: [native]
              operationId: nativeCreateToken
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      type: object
                      required: [name]
                      properties:
                        name: {type: string, minLength: 1, maxLength: 100}
                        scopes: {type: array, minItems: 1, items: {$ref: "#/components/schemas/NativeScope"}, default: [read]}
              responses:
                "201":
                  description: The new token; `token` (the secret) is shown only here.
                  content:
                    application/json:
                      schema:
                        allOf:
                          - {$ref: "#/components/schemas/NativeToken"}
                          - type: object
                            required: [token]
                            properties:
                              token: {type: string}
                "400": {$ref: "#/components/responses/NativeError"}
                "401": {$ref: "#/components/responses/NativeError"}
                "403": {$ref: "#/components/responses/NativeError"}
                "422": {$ref: "#/components/responses/NativeError"}
                "429": {$ref: "#/components/responses/NativeError"}
          /api/v1/tokens/{id}:
            parameters:
              - {name: id, in: path, required: true, schema: {type: integer}}
            delete:
              tags: [native]
              operationId: nativeDeleteToken
              responses:
                "200": {$ref: "#/components/responses/NativeActionResult"}
                "401": {$ref: "#/components/responses/NativeError"}
                "403": {$ref: "#/components/responses/NativeError"}
                "404": {$ref: "#/components/responses/NativeError"}
                "429": {$ref: "#/components/responses/NativeError"}
          /api/v1/projects:
            get:
              tags: [native]
              operationId: nativeListProjects
              parameters:
                - {$ref: "#/components/parameters/NativePage"}
                - {$ref: "#/components/parameters/NativePerPage"}
              responses:
                "200":
                  description: A page of projects.
                  content:
                    application/json:
                      schema:
                        allOf:
                          - {$ref: "#/components/schemas/NativePage"}
                          - type: object
                            properties:
                              data: {type: array, items: {$ref: "#/components/schemas/NativeProject"}}
                "401": {$ref: "#/components/responses/NativeError"}
                "403": {$ref: "#/components/responses/NativeError"}
                "422": {$ref: "#/components/responses/NativeError"}
                "429": {$ref: "#/components/responses/NativeError"}
            post:
              tags: [native]
              operationId: nativeCreateProject
              description: Admin scope. `name` and `repository` are required.
              requestBody: {$ref: "#/components/requestBodies/NativeProjectSettings"}
              responses:
                "201": {$ref: "#/components/responses/NativeProject"}
                "400": {$ref: "#/components/responses/NativeError"}
                "401": {$ref: "#/components/responses/NativeError"}
                "403": {$ref: "#/components/responses/NativeError"}
                "409": {$ref: "#/components/responses/NativeError"}
                "422": {$ref: "#/components/responses/NativeError"}
                "429": {$ref: "#/components/responses/NativeError"}
          /api/v1/projects/{project}:
            parameters:
              - {$ref: "#/components/parameters/NativeProject"}
            get:
              tags: [native]
              operationId: nativeGetProject
              responses:
                "200": {$ref: "#/components/responses/NativeProject"}
                "401": {$ref: "#/components/responses/NativeError"}
                "403": {$ref: "#/components/responses/NativeError"}
                "404": {$ref: "#/components/responses/NativeError"}
                "429": {$ref: "#/components/responses/NativeError"}
            patch:
              tags: [native]
              operationId: nativeUpdateProject
              description: Admin scope; only the fields sent change.
              requestBody: {$ref: "#/components/requestBodies/NativeProjectChanges"}
              responses:
                "200": {$ref: "#/components/responses/NativeProject"}
                "400": {$ref: "#/components/responses/NativeError"}
                "401": {$ref: "#/components/responses/NativeError"}
                "403": {$ref: "#/components/responses/NativeError"}
                "404": {$ref: "#/components/responses/NativeError"}
                "409": {$ref: "#/components/responses/NativeError"}
                "422": {$ref: "#/components/responses/NativeError"}
                "429": {$ref: "#/components/responses/NativeError"}
            delete:
              tags: [native]
              operationId: nativeDeleteProject
              description: Admin scope; 409 while the project has queued or running deployments.
              responses:
                "200": {$ref: "#/components/responses/NativeActionResult"}
                "401": {$ref: "#/components/responses/NativeError"}
                "403": {$ref: "#/components/responses/NativeError"}
                "404": {$ref: "#/components/responses/NativeError"}
                "409": {$ref: "#/components/responses/NativeError"}
                "429": {$ref: "#/components/responses/NativeError"}
          /api/v1/projects/{project}/deployments:
            parameters:
              - {$ref: "#/components/parameters/NativeProject"}
            get:
              tags: [native]
              operationId: nativeListProjectDeployments
              parameters:
                - {$ref: "#/components/parameters/NativePage"}
                - {$ref: "#/components/parameters/NativePerPage"}
              responses:
                "200":
                  description: A page of the project's deployments, newest first.
                  content:
                    application/json:
                      schema:
                        allOf:
                          - {$ref: "#/components/schemas/NativePage"}
                          - type: object
                            properties:
                              data: {type: array, items: {$ref: "#/components/schemas/NativeDeployment"}}
                "401": {$ref: "#/components/responses/NativeError"}
                "403": {$ref: "#/components/responses/NativeError"}
                "404": {$ref: "#/components/responses/NativeError"}
                "422": {$ref: "#/components/responses/NativeError"}
                "429": {$ref: "#/components/responses/NativeError"}
          /api/v1/projects/{project}/rollback-candidates:
            parameters:
              - {$ref: "#/components/parameters/NativeProject"}
            get:
              tags: [native]
              operationId: nativeRollbackCandidates
              responses:
                "200":
                  description: The deployments production can roll back to, newest first (a bare array).
                  content:
                    application/json:
                      schema:
                        type: array
                        items:
                          type: object
                          required: [id, commit_id, git_branch, description, created_at]
                          properties:
                            id: {type: integer}
                            commit_id: {type: [string, "null"]}
                            git_branch: {type: string}
                            description: {type: string}
                            created_at: {type: string, format: date-time}
                "401": {$ref: "#/components/responses/NativeError"}
                "403": {$ref: "#/components/responses/NativeError"}
                "404": {$ref: "#/components/responses/NativeError"}
                "429": {$ref: "#/components/responses/NativeError"}
          /api/v1/projects/{project}/env:
            parameters:
              - {$ref: "#/components/parameters/NativeProject"}
            get:
              tags: [native]
              operationId: nativeGetEnvironmentVariables
              responses:
                "200": {$ref: "#/components/responses/NativeEnvironmentVariables"}
                "401": {$ref: "#/components/responses/NativeError"}
                "403": {$ref: "#/components/responses/NativeError"}
                "404": {$ref: "#/components/responses/NativeError"}
                "429": {$ref: "#/components/responses/NativeError"}
            put:
              tags: [native]
              operationId: nativeReplaceEnvironmentVariables
              description: Admin scope. Replaces the variables of every environment the body names.
              requestBody:
                required: false
                content:
                  application/json:
                    schema:
                      type: object
                      propertyNames: {enum: [production, preview]}
                      additionalProperties:
                        type: object
                        additionalProperties: {$ref: "#/components/schemas/NativeEnvironmentVariableInput"}
              responses:
                "200": {$ref: "#/components/responses/NativeEnvironmentVariables"}
                "400": {$ref: "#/components/responses/NativeError"}
                "401": {$ref: "#/components/responses/NativeError"}
                "403": {$ref: "#/components/responses/NativeError"}
                "404": {$ref: "#/components/responses/NativeError"}
                "422": {$ref: "#/components/responses/NativeError"}
                "429": {$ref: "#/components/responses/NativeError"}
            patch:
              tags: [native]
              operationId: nativeUpdateEnvironmentVariables
              description: Admin scope. Sets the variables given, removes those given `null`, keeps the others.
              requestBody:
                required: false
                content:
                  application/json:
                    schema:
                      type: object
                      propertyNames: {enum: [production, preview]}
                      additionalProperties:
                        type: object
                        additionalProperties:
                          oneOf:
                            - {$ref: "#/components/schemas/NativeEnvironmentVariableInput"}
                            - {type: "null"}
              responses:
                "200": {$ref: "#/components/responses/NativeEnvironmentVariables"}
                "400": {$ref: "#/components/responses/NativeError"}
                "401": {$ref: "#/components/responses/NativeError"}
                "403": {$ref: "#/components/responses/NativeError"}
                "404": {$ref: "#/components/responses/NativeError"}
                "422": {$ref: "#/components/responses/NativeError"}
                "429": {$ref: "#/components/responses/NativeError"}
          /api/v1/projects/{project}/unpin:
            parameters:
              - {$ref: "#/components/parameters/NativeProject"}
            post:
              tags: [native]
              operationId: nativeUnpinProject
              description: Production follows pushes to the production branch again.
              responses:
                "200": {$ref: "#/components/responses/NativeActionResult"}
                "401": {$ref: "#/components/responses/NativeError"}
                "403": {$ref: "#/components/responses/NativeError"}
                "404": {$ref: "#/components/responses/NativeError"}
                "429": {$ref: "#/components/responses/NativeError"}
          /api/v1/deployments:
            get:
              tags: [native]
              operationId: nativeListDeployments
              description: A keyset page of every deployment the token can see, with the query language (snake_case fields).
              parameters:
                - {$ref: "#/components/parameters/QueryFilter"}
                - {$ref: "#/components/parameters/QueryOrderBy"}
                - {$ref: "#/components/parameters/QueryLimit"}
                - {$ref: "#/components/parameters/QueryAfter"}
                - {$ref: "#/components/parameters/QueryBefore"}
                - {$ref: "#/components/parameters/QueryIds"}
              responses:
                "200":
                  description: One page.
                  content:
                    application/json:
                      schema:
                        type: object
                        required: [data, page_info]
                        properties:
                          data: {type: array, items: {$ref: "#/components/schemas/NativeDeployment"}}
                          page_info:
                            type: object
                            required: [total, has_next_page, has_previous_page, start_cursor, end_cursor]
                            properties:
                              total: {type: integer}
                              has_next_page: {type: boolean}
                              has_previous_page: {type: boolean}
                              start_cursor: {type: [string, "null"]}
                              end_cursor: {type: [string, "null"]}
                "400": {$ref: "#/components/responses/NativeError"}
                "401": {$ref: "#/components/responses/NativeError"}
                "403": {$ref: "#/components/responses/NativeError"}
                "429": {$ref: "#/components/responses/NativeError"}
            post:
              tags: [native]
              operationId: nativeCreateDeployments
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      type: object
                      required: [project_ids]
                      properties:
                        project_ids: {type: array, maxItems: 100, items: {type: integer}}
                        git_branch: {type: string, minLength: 1, maxLength: 255, description: "A branch name git accepts."}
                        commit_id: {type: string, pattern: "^[0-9a-fA-F]{4,40}$"}
                        environment: {type: string, enum: [production, preview]}
                        description: {type: string, maxLength: 1000}
              responses:
                "200":
                  description: The queued deployments, one per project.
                  content:
                    application/json:
                      schema:
                        type: object
                        required: [message, status, deployment_ids, deployments]
                        properties:
                          message: {type: string}
                          status: {type: string, const: success}
                          deployment_ids: {type: array, items: {type: integer}}
                          deployments: {type: array, items: {$ref: "#/components/schemas/NativeDeployment"}}
                "400": {$ref: "#/components/responses/NativeError"}
                "401": {$ref: "#/components/responses/NativeError"}
                "403": {$ref: "#/components/responses/NativeError"}
                "404": {$ref: "#/components/responses/NativeError"}
                "409": {$ref: "#/components/responses/NativeError"}
                "413": {$ref: "#/components/responses/NativeError"}
                "422": {$ref: "#/components/responses/NativeError"}
                "429": {$ref: "#/components/responses/NativeError"}
          /api/v1/deployments/{deployment}:
            parameters:
              - {$ref: "#/components/parameters/NativeDeployment"}
            get:
              tags: [native]
              operationId: nativeGetDeployment
              responses:
                "200":
                  description: One deployment with the tail of its build output.
                  content:
                    application/json:
                      schema:
                        allOf:
                          - {$ref: "#/components/schemas/NativeDeployment"}
                          - type: object
                            required: [output]
                            properties:
                              output:
                                type: object
                                required: [process_type, client_payload, system_payload, truncated]
                                properties:
                                  process_type: {type: string, const: build}
                                  client_payload: {type: array, items: {type: string}}
                                  system_payload: {type: array, items: {type: string}}
                                  truncated: {type: boolean}
                "401": {$ref: "#/components/responses/NativeError"}
                "403": {$ref: "#/components/responses/NativeError"}
                "404": {$ref: "#/components/responses/NativeError"}
                "429": {$ref: "#/components/responses/NativeError"}
            delete:
              tags: [native]
              operationId: nativeDeleteDeployment
              parameters:
                - {name: force, in: query, schema: {type: string, enum: ["true", "false", "1", "0"]}}
              responses:
                "200": {$ref: "#/components/responses/NativeActionResult"}
                "401": {$ref: "#/components/responses/NativeError"}
                "403": {$ref: "#/components/responses/NativeError"}
                "404": {$ref: "#/components/responses/NativeError"}
                "409": {$ref: "#/components/responses/NativeError"}
                "422": {$ref: "#/components/responses/NativeError"}
                "429": {$ref: "#/components/responses/NativeError"}
          /api/v1/deployments/{deployment}/logs:
            parameters:
              - {$ref: "#/components/parameters/NativeDeployment"}
            get:
              tags: [native]
              operationId: nativeGetDeploymentLogs
              description: >-
                A page of the log by byte offset, or with `Accept: text/event-stream` a live stream of `{line, ts, stream, stage}`
                events (`id:` the offset past the line) ending with `event: end`.
              parameters:
                - {name: after, in: query, schema: {type: integer, minimum: 0, default: 0}}
                - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 10000, default: 1000}}
                - {name: Last-Event-ID, in: header, schema: {type: integer, minimum: 0}}
              responses:
                "200":
                  description: One page of lines; an empty `data` means no more lines yet.
                  content:
                    application/json:
                      schema:
                        type: object
                        required: [data, total, next_offset, state]
                        properties:
                          data:
                            type: array
                            items:
                              type: object
                              required: [line, ts, stream, stage, offset]
                              properties:
                                line: {type: string}
                                ts: {type: string, format: date-time}
                                stream: {type: string, enum: [stdout, stderr, system]}
                                stage: {type: [string, "null"], enum: [queued, initialize, clone_repo, build, deploy, health_check, runtime, null], description: "`runtime`: printed by the live service process after its deployment ended."}
                                offset: {type: integer}
                          total: {type: integer}
                          next_offset: {type: integer}
                          state: {$ref: "#/components/schemas/NativeDeploymentState"}
                    text/event-stream:
                      schema: {type: string}
                "401": {$ref: "#/components/responses/NativeError"}
                "403": {$ref: "#/components/responses/NativeError"}
                "404": {$ref: "#/components/responses/NativeError"}
                "422": {$ref: "#/components/responses/NativeError"}
                "429": {$ref: "#/components/responses/NativeError"}
          /api/v1/deployments/{deployment}/rerun:
            parameters:
              - {$ref: "#/components/parameters/NativeDeployment"}
            post:
              tags: [native]
              operationId: nativeRerunDeployment
              responses:
                "200": {$ref: "#/components/responses/NativeActionResult"}
                "401": {$ref: "#/components/responses/NativeError"}
                "403": {$ref: "#/components/responses/NativeError"}
                "404": {$ref: "#/components/responses/NativeError"}
                "409": {$ref: "#/components/responses/NativeError"}
                "429": {$ref: "#/components/responses/NativeError"}
          /api/v1/deployments/{deployment}/rollback:
            parameters:
              - {$ref: "#/components/parameters/NativeDeployment"}
            post:
              tags: [native]
              operationId: nativeRollbackDeployment
              responses:
                "200": {$ref: "#/components/responses/NativeActionResult"}
                "401": {$ref: "#/components/responses/NativeError"}
                "403": {$ref: "#/components/responses/NativeError"}
                "404": {$ref: "#/components/responses/NativeError"}
                "409": {$ref: "#/components/responses/NativeError"}
                "429": {$ref: "#/components/responses/NativeError"}
          /api/v1/deployments/{deployment}/promote:
            parameters:
              - {$ref: "#/components/parameters/NativeDeployment"}
            post:
              tags: [native]
              operationId: nativePromoteDeployment
              description: A successful deployment becomes production without a rebuild; 409 when it did not succeed, has no build, or is already production.
              responses:
                "200": {$ref: "#/components/responses/NativeActionResult"}
                "401": {$ref: "#/components/responses/NativeError"}
                "403": {$ref: "#/components/responses/NativeError"}
                "404": {$ref: "#/components/responses/NativeError"}
                "409": {$ref: "#/components/responses/NativeError"}
                "429": {$ref: "#/components/responses/NativeError"}
          /api/v1/deployments/{deployment}/cancel:
            parameters:
              - {$ref: "#/components/parameters/NativeDeployment"}
            post:
              tags: [native]
              operationId: nativeCancelDeployment
              requestBody: {$ref: "#/components/requestBodies/NativeStop"}
              responses:
                "200": {$ref: "#/components/responses/NativeStopped"}
                "400": {$ref: "#/components/responses/NativeError"}
                "401": {$ref: "#/components/responses/NativeError"}
                "403": {$ref: "#/components/responses/NativeError"}
                "404": {$ref: "#/components/responses/NativeError"}
                "409": {$ref: "#/components/responses/NativeError"}
                "413": {$ref: "#/components/responses/NativeError"}
                "422": {$ref: "#/components/responses/NativeError"}
                "429": {$ref: "#/components/responses/NativeError"}
          /api/v1/deployments/{deployment}/kill:
            parameters:
              - {$ref: "#/components/parameters/NativeDeployment"}
            post:
              tags: [native]
              operationId: nativeKillDeployment
              requestBody: {$ref: "#/components/requestBodies/NativeStop"}
              responses:
                "200": {$ref: "#/components/responses/NativeStopped"}
                "400": {$ref: "#/components/responses/NativeError"}
                "401": {$ref: "#/components/responses/NativeError"}
                "403": {$ref: "#/components/responses/NativeError"}
                "404": {$ref: "#/components/responses/NativeError"}
                "409": {$ref: "#/components/responses/NativeError"}
                "413": {$ref: "#/components/responses/NativeError"}
                "422": {$ref: "#/components/responses/NativeError"}
                "429": {$ref: "#/components/responses/NativeError"}
          /api/v1/queue:
            get:
              tags: [native]
              operationId: nativeQueue
              responses:
                "200":
                  description: The workspace's running, then waiting deployments.
                  content:
                    application/json:
                      schema:
                        type: object
                        required: [data, active, waiting]
                        properties:
                          data:
                            type: array
                            items:
                              type: object
                              required: [deployment_id, project_id, project_name, state, position, git_branch, trigger, environment, queued_at, started_at, active_stage]
                              properties:
                                deployment_id: {type: integer}
                                project_id: {type: integer}
                                project_name: {type: string}
                                state: {type: string, enum: [active, waiting]}
                                position: {type: [integer, "null"]}
                                git_branch: {type: string}
                                trigger: {$ref: "#/components/schemas/NativeTrigger"}
                                environment: {type: string, enum: [production, preview]}
                                queued_at: {type: string, format: date-time}
                                started_at: {type: [string, "null"], format: date-time}
                                active_stage: {type: [string, "null"], enum: [queued, initialize, clone_repo, build, deploy, health_check, null]}
                          active: {type: integer}
                          waiting: {type: integer}
                "401": {$ref: "#/components/responses/NativeError"}
                "403": {$ref: "#/components/responses/NativeError"}
                "429": {$ref: "#/components/responses/NativeError"}
          /api/v1/hooks/git/{project_uid}:
            parameters:
              - {name: project_uid, in: path, required: true, schema: {type: string, format: uuid}}
            post:
              tags: [native]
              operationId: nativeGitWebhook
              description: >-
                Git push webhooks of GitHub, GitLab, Gitea/Forgejo and the generic shape. No token: the signature made with the
                project's `webhook_secret` authenticates the sender. A payload over 25 MB is 413; too many wrong signatures
                from one address to the project are 429 with `Retry-After`; a large body that found none of the few slots
                for unverified bodies within 10 s is 503 with `Retry-After` (docs/security-connections.md). A push of a
                branch the API refuses (the rule of `production_branch` and `git_branch`) is 422 naming `ref` and deploys
                nothing (docs/security-inputs.md).
              security: []
              requestBody:
                required: true
                content:
                  application/json:
                    schema: {type: object}
              responses:
                "200": {$ref: "#/components/responses/NativeWebhookAnswer"}
                "201": {$ref: "#/components/responses/NativeWebhookAnswer"}
                "400": {$ref: "#/components/responses/NativeError"}
                "401": {$ref: "#/components/responses/NativeError"}
                "404": {$ref: "#/components/responses/NativeError"}
                "409": {$ref: "#/components/responses/NativeError"}
                "413": {$ref: "#/components/responses/NativeError"}
                "422": {$ref: "#/components/responses/NativeError"}
                "429": {$ref: "#/components/responses/NativeError"}
                "503": {$ref: "#/components/responses/NativeError"}
          /api/deploys:
            get:
              tags: [deploys]
              operationId: deploysList
              description: A keyset page of the workspace's deploys, with the query language (camelCase fields) and shorthands.
              parameters:
                - {$ref: "#/components/parameters/QueryFilter"}
                - {$ref: "#/components/parameters/QueryOrderBy"}
                - {$ref: "#/components/parameters/QueryLimit"}
                - {$ref: "#/components/parameters/QueryAfter"}
                - {$ref: "#/components/parameters/QueryBefore"}
                - {$ref: "#/components/parameters/QueryIds"}
                - {name: workspace_id, in: query, schema: {type: string}}
                - {name: entity_id, in: query, schema: {type: string}}
                - {name: build_id, in: query, schema: {type: string}}
                - {name: status, in: query, schema: {type: string}}
                - {name: trigger, in: query, schema: {type: string}}
                - {name: created_by, in: query, schema: {type: string}}
              responses:
                "200":
                  description: One page.
                  content:
                    application/json:
                      schema:
                        type: object
                        required: [data, pageInfo]
                        properties:
                          data: {type: array, items: {$ref: "#/components/schemas/Deploy"}}
                          pageInfo:
                            type: object
                            required: [total, hasNextPage, hasPreviousPage, startCursor, endCursor]
                            properties:
                              total: {type: integer}
                              hasNextPage: {type: boolean}
                              hasPreviousPage: {type: boolean}
                              startCursor: {type: [string, "null"]}
                              endCursor: {type: [string, "null"]}
                "400": {$ref: "#/components/responses/DeploysError"}
                "401": {$ref: "#/components/responses/DeploysError"}
                "403": {$ref: "#/components/responses/DeploysError"}
                "429": {$ref: "#/components/responses/DeploysError"}
            post:
              tags: [deploys]
              operationId: deploysCreate
              description: Deploys a build, or the latest successful build of an app's production branch, without rebuilding. Exactly one of the two.
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      type: object
                      properties:
                        buildId: {type: string, pattern: "^bld_[0-9a-f]{32}$"}
                        appId: {type: string, pattern: "^app_[0-9a-f]{32}$"}
              responses:
                "201":
                  description: The new deploy.
                  content:
                    application/json:
                      schema: {$ref: "#/components/schemas/Deploy"}
                "400": {$ref: "#/components/responses/DeploysError"}
                "401": {$ref: "#/components/responses/DeploysError"}
                "403": {$ref: "#/components/responses/DeploysError"}
                "404": {$ref: "#/components/responses/DeploysError"}
                "409": {$ref: "#/components/responses/DeploysError"}
                "413": {$ref: "#/components/responses/DeploysError"}
                "429": {$ref: "#/components/responses/DeploysError"}
          /api/deploys/{id}:
            parameters:
              - {$ref: "#/components/parameters/DeployId"}
            get:
              tags: [deploys]
              operationId: deploysGet
              responses:
                "200":
                  description: One deploy with its steps.
                  content:
                    application/json:
                      schema:
                        allOf:
                          - {$ref: "#/components/schemas/Deploy"}
                          - type: object
                            required: [steps]
                            properties:
                              steps:
                                type: array
                                items:
                                  type: object
                                  required: [name, status, startedAt, endedAt]
                                  properties:
                                    name: {type: string, enum: [queued, initialize, clone_repo, build, deploy, health_check]}
                                    status: {type: string, enum: [idle, active, success, failure, canceled, skipped]}
                                    startedAt: {type: [string, "null"], format: date-time}
                                    endedAt: {type: [string, "null"], format: date-time}
                "401": {$ref: "#/components/responses/DeploysError"}
                "403": {$ref: "#/components/responses/DeploysError"}
                "404": {$ref: "#/components/responses/DeploysError"}
                "429": {$ref: "#/components/responses/DeploysError"}
          /api/deploys/{id}/cancel:
            parameters:
              - {$ref: "#/components/parameters/DeployId"}
            post:
              tags: [deploys]
              operationId: deploysCancel
              requestBody:
                required: false
                content:
                  application/json:
                    schema:
                      type: object
                      properties:
                        reason: {type: string}
              responses:
                "200":
                  description: "`success` is true once the deploy has ended canceled."
                  content:
                    application/json:
                      schema:
                        type: object
                        required: [success]
                        properties:
                          success: {type: boolean}
                "400": {$ref: "#/components/responses/DeploysError"}
                "401": {$ref: "#/components/responses/DeploysError"}
                "403": {$ref: "#/components/responses/DeploysError"}
                "404": {$ref: "#/components/responses/DeploysError"}
                "409": {$ref: "#/components/responses/DeploysError"}
                "429": {$ref: "#/components/responses/DeploysError"}
          /api/deployment.all:
            get:
              tags: [dokploy]
              operationId: dokployDeploymentAll
              parameters:
                - {name: applicationId, in: query, required: true, schema: {type: string}}
              responses:
                "200": {$ref: "#/components/responses/DokployDeployments"}
                "400": {$ref: "#/components/responses/DokployError"}
                "401": {$ref: "#/components/responses/DokployError"}
                "403": {$ref: "#/components/responses/DokployError"}
                "404": {$ref: "#/components/responses/DokployError"}
                "429": {$ref: "#/components/responses/DokployError"}
          /api/deployment.allByCompose:
            get:
              tags: [dokploy]
              operationId: dokployDeploymentAllByCompose
              parameters:
                - {name: composeId, in: query, required: true, schema: {type: string}}
              responses:
                "200": {$ref: "#/components/responses/DokployDeployments"}
                "400": {$ref: "#/components/responses/DokployError"}
                "401": {$ref: "#/components/responses/DokployError"}
                "403": {$ref: "#/components/responses/DokployError"}
                "404": {$ref: "#/components/responses/DokployError"}
                "429": {$ref: "#/components/responses/DokployError"}
          /api/deployment.allByServer:
            get:
              tags: [dokploy]
              operationId: dokployDeploymentAllByServer
              parameters:
                - {name: serverId, in: query, required: true, schema: {type: string}}
              responses:
                "200": {$ref: "#/components/responses/DokployDeployments"}
                "400": {$ref: "#/components/responses/DokployError"}
                "401": {$ref: "#/components/responses/DokployError"}
                "403": {$ref: "#/components/responses/DokployError"}
                "404": {$ref: "#/components/responses/DokployError"}
                "429": {$ref: "#/components/responses/DokployError"}
          /api/deployment.allCentralized:
            get:
              tags: [dokploy]
              operationId: dokployDeploymentAllCentralized
              responses:
                "200": {$ref: "#/components/responses/DokployDeployments"}
                "401": {$ref: "#/components/responses/DokployError"}
                "403": {$ref: "#/components/responses/DokployError"}
                "429": {$ref: "#/components/responses/DokployError"}
          /api/deployment.queueList:
            get:
              tags: [dokploy]
              operationId: dokployDeploymentQueueList
              responses:
                "200":
                  description: The workspace's active, then waiting deployments as queue jobs.
                  content:
                    application/json:
                      schema: {type: array, items: {$ref: "#/components/schemas/DokployQueueJob"}}
                "401": {$ref: "#/components/responses/DokployError"}
                "403": {$ref: "#/components/responses/DokployError"}
                "429": {$ref: "#/components/responses/DokployError"}
          /api/deployment.allByType:
            get:
              tags: [dokploy]
              operationId: dokployDeploymentAllByType
              parameters:
                - name: type
                  in: query
                  required: true
                  schema: {type: string, enum: [application, compose, postgres, mysql, mariadb, mongo, redis]}
                - {name: id, in: query, required: true, schema: {type: string}}
              responses:
                "200": {$ref: "#/components/responses/DokployDeployments"}
                "400": {$ref: "#/components/responses/DokployError"}
                "401": {$ref: "#/components/responses/DokployError"}
                "403": {$ref: "#/components/responses/DokployError"}
                "404": {$ref: "#/components/responses/DokployError"}
                "429": {$ref: "#/components/responses/DokployError"}
          /api/deployment.killProcess:
            post:
              tags: [dokploy]
              operationId: dokployDeploymentKillProcess
              requestBody: {$ref: "#/components/requestBodies/DokployDeploymentId"}
              responses:
                "200": {$ref: "#/components/responses/DokployDeployment"}
                "400": {$ref: "#/components/responses/DokployError"}
                "401": {$ref: "#/components/responses/DokployError"}
                "403": {$ref: "#/components/responses/DokployError"}
                "404": {$ref: "#/components/responses/DokployError"}
                "409": {$ref: "#/components/responses/DokployError"}
                "413": {$ref: "#/components/responses/DokployError"}
                "429": {$ref: "#/components/responses/DokployError"}
          /api/deployment.removeDeployment:
            post:
              tags: [dokploy]
              operationId: dokployDeploymentRemoveDeployment
              requestBody: {$ref: "#/components/requestBodies/DokployDeploymentId"}
              responses:
                "200": {$ref: "#/components/responses/DokployDeployment"}
                "400": {$ref: "#/components/responses/DokployError"}
                "401": {$ref: "#/components/responses/DokployError"}
                "403": {$ref: "#/components/responses/DokployError"}
                "404": {$ref: "#/components/responses/DokployError"}
                "409": {$ref: "#/components/responses/DokployError"}
                "413": {$ref: "#/components/responses/DokployError"}
                "429": {$ref: "#/components/responses/DokployError"}
          /client/v4/accounts/{account_id}/pages/projects/{project_name}/deployments:
            parameters:
              - {$ref: "#/components/parameters/AccountId"}
              - {$ref: "#/components/parameters/ProjectName"}
            get:
              tags: [cloudflare]
              operationId: cloudflareListDeployments
              parameters:
                - {name: env, in: query, schema: {type: string, enum: [production, preview]}}
                - {name: page, in: query, schema: {type: integer, minimum: 1, maximum: 1000000, default: 1}}
                - {name: per_page, in: query, schema: {type: integer, minimum: 1, maximum: 100, default: 25}}
              responses:
                "200":
                  description: A page of deployments, newest first; a page past the end has an empty result.
                  content:
                    application/json:
                      schema:
                        allOf:
                          - {$ref: "#/components/schemas/CloudflareEnvelope"}
                          - type: object
                            required: [result, result_info]
                            properties:
                              result: {type: array, items: {$ref: "#/components/schemas/CloudflareDeployment"}}
                              result_info: {$ref: "#/components/schemas/CloudflareResultInfo"}
                "400": {$ref: "#/components/responses/CloudflareError"}
                "401": {$ref: "#/components/responses/CloudflareError"}
                "403": {$ref: "#/components/responses/CloudflareError"}
                "404": {$ref: "#/components/responses/CloudflareError"}
                "429": {$ref: "#/components/responses/CloudflareError"}
            post:
              tags: [cloudflare]
              operationId: cloudflareCreateDeployment
              requestBody:
                required: false
                content:
                  application/json:
                    schema:
                      type: object
                      properties:
                        branch: {type: string, minLength: 1, maxLength: 255, description: "A branch name git accepts."}
                        commit_hash: {type: string, pattern: "^[0-9a-fA-F]{4,40}$"}
                        commit_message: {type: string, maxLength: 4096}
                        commit_dirty: {type: [boolean, string, "null"], description: "true, false, \"true\" or \"false\"; null is the same as absent."}
                  multipart/form-data:
                    schema:
                      type: object
                      additionalProperties: false
                      properties:
                        branch: {type: string, minLength: 1, maxLength: 255, description: "A branch name git accepts."}
                        commit_hash: {type: string, pattern: "^[0-9a-fA-F]{4,40}$"}
                        commit_message: {type: string}
                        commit_dirty: {type: string, enum: ["true", "false"]}
              responses:
                "200": {$ref: "#/components/responses/CloudflareDeployment"}
                "400": {$ref: "#/components/responses/CloudflareError"}
                "401": {$ref: "#/components/responses/CloudflareError"}
                "403": {$ref: "#/components/responses/CloudflareError"}
                "404": {$ref: "#/components/responses/CloudflareError"}
                "413": {$ref: "#/components/responses/CloudflareError"}
                "429": {$ref: "#/components/responses/CloudflareError"}
          /client/v4/accounts/{account_id}/pages/projects/{project_name}/deployments/{deployment_id}:
            parameters:
              - {$ref: "#/components/parameters/AccountId"}
              - {$ref: "#/components/parameters/ProjectName"}
              - {$ref: "#/components/parameters/DeploymentId"}
            get:
              tags: [cloudflare]
              operationId: cloudflareGetDeployment
              responses:
                "200": {$ref: "#/components/responses/CloudflareDeployment"}
                "401": {$ref: "#/components/responses/CloudflareError"}
                "403": {$ref: "#/components/responses/CloudflareError"}
                "404": {$ref: "#/components/responses/CloudflareError"}
                "429": {$ref: "#/components/responses/CloudflareError"}
            delete:
              tags: [cloudflare]
              operationId: cloudflareDeleteDeployment
              parameters:
                - {name: force, in: query, schema: {type: string, enum: ["true", "false"]}}
              responses:
                "200":
                  description: Deleted; the result is an empty object.
                  content:
                    application/json:
                      schema: {$ref: "#/components/schemas/CloudflareEnvelope"}
                "400": {$ref: "#/components/responses/CloudflareError"}
                "401": {$ref: "#/components/responses/CloudflareError"}
                "403": {$ref: "#/components/responses/CloudflareError"}
                "404": {$ref: "#/components/responses/CloudflareError"}
                "409": {$ref: "#/components/responses/CloudflareError"}
                "429": {$ref: "#/components/responses/CloudflareError"}
          /client/v4/accounts/{account_id}/pages/projects/{project_name}/deployments/{deployment_id}/history/logs:
            parameters:
              - {$ref: "#/components/parameters/AccountId"}
              - {$ref: "#/components/parameters/ProjectName"}
              - {$ref: "#/components/parameters/DeploymentId"}
            get:
              tags: [cloudflare]
              operationId: cloudflareGetDeploymentLogs
              responses:
                "200":
                  description: Every line of the deployment's build log.
                  content:
                    application/json:
                      schema:
                        allOf:
                          - {$ref: "#/components/schemas/CloudflareEnvelope"}
                          - type: object
                            required: [result]
                            properties:
                              result:
                                type: object
                                required: [data, includes_container_logs, total]
                                properties:
                                  data:
                                    type: array
                                    items:
                                      type: object
                                      required: [line, ts]
                                      properties:
                                        line: {type: string}
                                        ts: {type: string, format: date-time}
                                  includes_container_logs: {type: boolean}
                                  total: {type: integer}
                "401": {$ref: "#/components/responses/CloudflareError"}
                "403": {$ref: "#/components/responses/CloudflareError"}
                "404": {$ref: "#/components/responses/CloudflareError"}
                "429": {$ref: "#/components/responses/CloudflareError"}
          /client/v4/accounts/{account_id}/pages/projects/{project_name}/deployments/{deployment_id}/retry:
            parameters:
              - {$ref: "#/components/parameters/AccountId"}
              - {$ref: "#/components/parameters/ProjectName"}
              - {$ref: "#/components/parameters/DeploymentId"}
            post:
              tags: [cloudflare]
              operationId: cloudflareRetryDeployment
              responses:
                "200": {$ref: "#/components/responses/CloudflareDeployment"}
                "401": {$ref: "#/components/responses/CloudflareError"}
                "403": {$ref: "#/components/responses/CloudflareError"}
                "404": {$ref: "#/components/responses/CloudflareError"}
                "409": {$ref: "#/components/responses/CloudflareError"}
                "429": {$ref: "#/components/responses/CloudflareError"}
          /client/v4/accounts/{account_id}/pages/projects/{project_name}/deployments/{deployment_id}/rollback:
            parameters:
              - {$ref: "#/components/parameters/AccountId"}
              - {$ref: "#/components/parameters/ProjectName"}
              - {$ref: "#/components/parameters/DeploymentId"}
            post:
              tags: [cloudflare]
              operationId: cloudflareRollbackDeployment
              responses:
                "200": {$ref: "#/components/responses/CloudflareDeployment"}
                "401": {$ref: "#/components/responses/CloudflareError"}
                "403": {$ref: "#/components/responses/CloudflareError"}
                "404": {$ref: "#/components/responses/CloudflareError"}
                "409": {$ref: "#/components/responses/CloudflareError"}
                "429": {$ref: "#/components/responses/CloudflareError"}
          /client/v4/accounts/{account_id}/pages/projects/{project_name}/deployments/{deployment_id}/cancel:
            parameters:
              - {$ref: "#/components/parameters/AccountId"}
              - {$ref: "#/components/parameters/ProjectName"}
              - {$ref: "#/components/parameters/DeploymentId"}
            post:
              tags: [cloudflare]
              operationId: cloudflareCancelDeployment
              description: Slipway's addition; Cloudflare has no cancel.
              responses:
                "200": {$ref: "#/components/responses/CloudflareDeployment"}
                "401": {$ref: "#/components/responses/CloudflareError"}
                "403": {$ref: "#/components/responses/CloudflareError"}
                "404": {$ref: "#/components/responses/CloudflareError"}
                "409": {$ref: "#/components/responses/CloudflareError"}
                "429": {$ref: "#/components/responses/CloudflareError"}
        components:
          securitySchemes:
            bearer: {type: http, scheme: bearer}
            apiKey: {type: apiKey, in: header, name: x-api-key}
          parameters:
            AccountId: {name: account_id, in: path, required: true, schema: {type: string}}
            ProjectName: {name: project_name, in: path, required: true, schema: {type: string}}
            DeploymentId: {name: deployment_id, in: path, required: true, schema: {type: string}}
            NativeProject: {name: project, in: path, required: true, description: The project's integer id or its name., schema: {type: string}}
            NativeDeployment: {name: deployment, in: path, required: true, description: The deployment's integer id., schema: {type: integer}}
            NativePage: {name: page, in: query, schema: {type: integer, minimum: 1, maximum: 1000000, default: 1}}
            NativePerPage: {name: per_page, in: query, schema: {type: integer, minimum: 1, maximum: 100, default: 15}}
            DeployId: {name: id, in: path, required: true, schema: {type: string, pattern: "^dep_[0-9a-f]{32}$"}}
            QueryFilter: {name: filter, in: query, description: A JSON filter of the query language., schema: {type: string}}
            QueryOrderBy: {name: orderBy, in: query, schema: {type: string}}
            QueryLimit: {name: limit, in: query, schema: {type: integer}}
            QueryAfter: {name: after, in: query, description: A cursor., schema: {type: string}}
            QueryBefore: {name: before, in: query, description: A cursor., schema: {type: string}}
            QueryIds: {name: ids, in: query, schema: {type: string}}
          requestBodies:
            NativeProjectSettings:
              required: true
              content:
                application/json:
                  schema: {$ref: "#/components/schemas/NativeProjectSettings"}
            NativeProjectChanges:
              description: Only the fields sent change; a missing body changes nothing.
              required: false
              content:
                application/json:
                  schema: {$ref: "#/components/schemas/NativeProjectSettings"}
            NativeStop:
              required: false
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      reason: {type: string}
            DokployDeploymentId:
              required: true
              content:
                application/json:
                  schema:
                    type: object
                    required: [deploymentId]
                    properties:
                      deploymentId: {type: string}
                      force: {type: boolean}
          responses:
            NativeError:
              description: >-
                An error of the native dialect; `errors` maps each invalid field to its messages (422, and 400 for a query
                error). A 401 carries `WWW-Authenticate: Bearer`.
              headers:
                Retry-After: {description: "With a 429 for too many failed authentications from the client's address: seconds to wait.", schema: {type: integer}}
              content:
                application/json:
                  schema:
                    type: object
                    required: [status, message]
                    properties:
                      status: {type: string, const: error}
                      message: {type: string}
                      errors:
                        type: [object, "null"]
                        additionalProperties: {type: array, items: {type: string}}
            NativeActionResult:
              description: What the action did, and the deployment it created if any.
              content:
                application/json:
                  schema:
                    type: object
                    required: [status, message]
                    properties:
                      status: {type: string, const: success}
                      message: {type: string}
                      deployment_id: {type: [integer, "null"]}
            NativeProject:
              description: One project; `webhook_secret` is shown to admin tokens only.
              content:
                application/json:
                  schema: {$ref: "#/components/schemas/NativeProject"}
            NativeStopped:
              description: The deployment once it has stopped (or is stopping).
              content:
                application/json:
                  schema:
                    type: object
                    required: [status, message, deployment]
                    properties:
                      status: {type: string, const: success}
                      message: {type: string}
                      deployment: {$ref: "#/components/schemas/NativeDeployment"}
            NativeEnvironmentVariables:
              description: The variables of each environment; secret values read as `•••`.
              content:
                application/json:
                  schema:
                    type: object
                    propertyNames: {enum: [production, preview]}
                    additionalProperties:
                      type: object
                      additionalProperties:
                        type: object
                        required: [value, secret]
                        properties:
                          value: {type: string}
                          secret: {type: boolean}
            NativeWebhookAnswer:
              description: What the delivery did (201 when it created a deployment).
              content:
                application/json:
                  schema:
                    type: object
                    required: [status, message, event]
                    properties:
                      status: {type: string, const: success}
                      message: {type: string}
                      event: {type: string, enum: [ping, push, other]}
                      deployment_id: {type: [integer, "null"]}
                      skip_reason: {type: [string, "null"]}
                      deployment:
                        oneOf:
                          - {$ref: "#/components/schemas/NativeDeployment"}
                          - {type: "null"}
            DeploysError:
              description: An error of the Deploys dialect; invalid input is always 400 (never 422).
              headers:
                Retry-After: {description: "With a 429 for too many failed authentications from the client's address: seconds to wait.", schema: {type: integer}}
              content:
                application/json:
                  schema:
                    type: object
                    required: [error]
                    properties:
                      error:
                        type: object
                        required: [code, message]
                        properties:
                          code:
                            type: string
                            enum: [invalid_query, invalid_request, unauthenticated, forbidden, not_found, conflict, queue_full, body_too_large, http_error, internal_error]
                          message: {type: string}
                          field: {type: [string, "null"]}
            DokployDeployments:
              description: Deployments, newest first.
              content:
                application/json:
                  schema: {type: array, items: {$ref: "#/components/schemas/DokployDeployment"}}
            DokployDeployment:
              description: One deployment.
              content:
                application/json:
                  schema: {$ref: "#/components/schemas/DokployDeployment"}
            DokployError:
              description: An error of the Dokploy dialect.
              headers:
                Retry-After: {description: "With a 429 for too many failed authentications from the client's address: seconds to wait.", schema: {type: integer}}
              content:
                application/json:
                  schema:
                    type: object
                    required: [message, code]
                    properties:
                      message: {type: string}
                      code: {type: string}
                      field: {type: [string, "null"]}
            CloudflareDeployment:
              description: One deployment in the envelope.
              content:
                application/json:
                  schema:
                    allOf:
                      - {$ref: "#/components/schemas/CloudflareEnvelope"}
                      - type: object
                        required: [result]
                        properties:
                          result: {$ref: "#/components/schemas/CloudflareDeployment"}
            CloudflareError:
              description: An error in the envelope; every 4xx but 429 carries `x-should-retry false`.
              headers:
                x-should-retry: {schema: {type: string, enum: ["false"]}}
                Retry-After: {description: "With a 429 for too many failed authentications from the client's address: seconds to wait.", schema: {type: integer}}
              content:
                application/json:
                  schema:
                    allOf:
                      - {$ref: "#/components/schemas/CloudflareEnvelope"}
                      - type: object
                        properties:
                          success: {const: false}
                          errors: {type: array, minItems: 1}
          schemas:
            NativeProjectSettings:
              type: object
              properties:
                name: {type: string, minLength: 1, maxLength: 63, pattern: "^[a-z0-9]([a-z0-9-]*[a-z0-9])?$", description: "A DNS label."}
                repository: {type: string, description: "A git URL by https, http, ssh (also user@host:path) or git; `slipway` for the project's own git remote; a local path or file:// URL only inside a directory the server allows (--allow-local-repositories), never its data directory. Else 422 naming repository."}
                production_branch: {type: string, minLength: 1, maxLength: 255, description: "A branch name git accepts."}
                kind: {type: string, enum: [static, service]}
                root_dir: {type: string}
                build_command: {type: string}
                output_dir: {type: string}
                webhook_secret: {type: string}
                start_command: {type: string, description: "service: the command that starts the app (empty: the Procfile's web: line)."}
                port: {type: [integer, "null"], minimum: 1, maximum: 65535, description: "service: the port the app listens on, inside the server's --service-ports range (default 20000-29999), not Slipway's own port and not another project's fixed port (else 422 naming port); null: assigned and passed as PORT."}
                health_check_path: {type: string, pattern: "^/\\S*$"}
                health_check_timeout: {type: number, minimum: 1, maximum: 3600}
                health_check_interval: {type: number, minimum: 0.05, maximum: 60}
                drain_timeout: {type: number, minimum: 0, maximum: 3600}
                source:
                  type: object
                  properties:
                    deployments_enabled: {type: boolean}
                    production_deployments_enabled: {type: boolean}
                    preview_deployment_setting: {type: string, enum: [all, none, custom]}
                    preview_branch_includes: {type: array, items: {type: string}}
                    preview_branch_excludes: {type: array, items: {type: string}}
                    path_includes: {type: array, items: {type: string}}
                    path_excludes: {type: array, items: {type: string}}
            NativeScope: {type: string, enum: [read, deploy, admin]}
            NativeTrigger: {type: string, enum: [manual, auto, rollback, rerun, promote]}
            NativeDeploymentState: {type: string, enum: [queued, running, success, failed, canceled, skipped]}
            NativePage:
              type: object
              required: [current_page, data, per_page, total_items, total_pages]
              properties:
                current_page: {type: integer}
                data: {type: array}
                per_page: {type: integer}
                total_items: {type: integer}
                total_pages: {type: integer}
            NativeToken:
              type: object
              required: [id, name, scopes, created_at, last_used_at]
              properties:
                id: {type: integer}
                name: {type: string}
                scopes: {type: array, items: {$ref: "#/components/schemas/NativeScope"}}
                created_at: {type: string, format: date-time}
                last_used_at: {type: [string, "null"], format: date-time}
            NativeProject:
              type: object
              required: [id, uid, name, repository, production_branch, kind, root_dir, build_command, output_dir, start_command, port, health_check_path, health_check_timeout, health_check_interval, drain_timeout, server_id, production_deployment_id, url, created_at, updated_at, source, webhook_secret, production_pinned, git_url, webhook_url]
              properties:
                id: {type: integer}
                uid: {type: string, format: uuid}
                name: {type: string}
                repository: {type: string}
                production_branch: {type: string}
                kind: {type: string, enum: [static, service]}
                root_dir: {type: string}
                build_command: {type: string}
                output_dir: {type: string}
                start_command: {type: string}
                port: {type: [integer, "null"]}
                health_check_path: {type: string}
                health_check_timeout: {type: number}
                health_check_interval: {type: number}
                drain_timeout: {type: number}
                services:
                  type: object
                  description: "A service project's processes and restarts (GET of one project)."
                  required: [processes, restart_count, restarts]
                  properties:
                    processes:
                      type: array
                      items:
                        type: object
                        required: [deployment_id, port, state, pid, started_at, restarts]
                        properties:
                          deployment_id: {type: integer}
                          port: {type: integer}
                          state: {type: string, enum: [starting, running, restarting]}
                          pid: {type: [integer, "null"]}
                          started_at: {type: string, format: date-time}
                          restarts: {type: integer}
                    restart_count: {type: integer}
                    restarts:
                      type: array
                      items:
                        type: object
                        required: [deployment_id, restarted_at, exit]
                        properties:
                          deployment_id: {type: integer}
                          restarted_at: {type: string, format: date-time}
                          exit: {type: string}
                server_id: {type: integer}
                production_deployment_id: {type: [integer, "null"]}
                url: {type: string}
                created_at: {type: string, format: date-time}
                updated_at: {type: string, format: date-time}
                source:
                  type: object
                  required: [deployments_enabled, production_deployments_enabled, preview_deployment_setting, preview_branch_includes, preview_branch_excludes, path_includes, path_excludes]
                  properties:
                    deployments_enabled: {type: boolean}
                    production_deployments_enabled: {type: boolean}
                    preview_deployment_setting: {type: string, enum: [all, none, custom]}
                    preview_branch_includes: {type: array, items: {type: string}}
                    preview_branch_excludes: {type: array, items: {type: string}}
                    path_includes: {type: array, items: {type: string}}
                    path_excludes: {type: array, items: {type: string}}
                webhook_secret: {type: [string, "null"]}
                production_pinned: {type: boolean}
                git_url: {type: string}
                webhook_url: {type: string}
            NativeDeployment:
              type: object
              required: [id, uid, tenant_id, project_id, server_id, initiated_by, git_branch, commit_id, commit_url, commit_message, commit_author, description, status, duration, created_at, updated_at, state, environment, trigger, sequence_number, short_id, url, aliases, stages, build_id, is_active, error, reason, rerun_of, rollback_of, started_at, completed_at, source_event_id, skip_reason, commit_dirty]
              properties:
                id: {type: integer}
                uid: {type: string, format: uuid}
                tenant_id: {type: integer}
                project_id: {type: integer}
                server_id: {type: integer}
                initiated_by: {type: integer}
                git_branch: {type: string}
                commit_id: {type: [string, "null"]}
                commit_url: {type: [string, "null"]}
                commit_message: {type: [string, "null"]}
                commit_author: {type: [string, "null"]}
                description: {type: string}
                status: {type: integer, enum: [0, 1, 2, 3, 4, 5], description: "0 queued, 1 success, 2 failed, 3 running, 4 canceled, 5 skipped"}
                duration: {type: integer, description: Seconds.}
                created_at: {type: string, format: date-time}
                updated_at: {type: string, format: date-time}
                state: {$ref: "#/components/schemas/NativeDeploymentState"}
                environment: {type: string, enum: [production, preview]}
                trigger: {$ref: "#/components/schemas/NativeTrigger"}
                sequence_number: {type: integer}
                short_id: {type: string}
                url: {type: string}
                aliases: {type: array, items: {type: string}}
                stages: {type: array, items: {$ref: "#/components/schemas/CloudflareStage"}}
                build_id: {type: [string, "null"], format: uuid}
                is_active: {type: boolean}
                error: {type: [string, "null"]}
                reason: {type: [string, "null"]}
                rerun_of: {type: [integer, "null"]}
                rollback_of: {type: [integer, "null"]}
                started_at: {type: [string, "null"], format: date-time}
                completed_at: {type: [string, "null"], format: date-time}
                source_event_id: {type: [string, "null"]}
                skip_reason: {type: [string, "null"]}
                commit_dirty: {type: boolean}
            NativeEnvironmentVariableInput:
              type: object
              required: [value]
              properties:
                value: {type: string}
                secret: {type: boolean, default: false}
            Deploy:
              type: object
              required: [id, workspaceId, entityId, sequenceNumber, buildId, status, trigger, sourceEventId, productionUrl, previewUrl, error, metadata, createdBy, startedAt, completedAt, createdAt]
              properties:
                id: {type: string, pattern: "^dep_[0-9a-f]{32}$"}
                workspaceId: {type: string}
                entityId: {type: [string, "null"]}
                sequenceNumber: {type: integer}
                buildId: {type: [string, "null"]}
                status: {type: string, enum: [pending, running, completed, failed]}
                trigger: {type: string, enum: [auto, manual, rollback]}
                sourceEventId: {type: [string, "null"]}
                productionUrl: {type: [string, "null"]}
                previewUrl: {type: [string, "null"]}
                error: {type: [string, "null"]}
                metadata:
                  type: object
                  required: [environment, gitBranch, commitId, commitMessage, commitAuthor, description, shortId, state, trigger, nativeId, reason]
                  properties:
                    environment: {type: string, enum: [production, preview]}
                    gitBranch: {type: string}
                    commitId: {type: [string, "null"]}
                    commitMessage: {type: [string, "null"]}
                    commitAuthor: {type: [string, "null"]}
                    description: {type: string}
                    shortId: {type: string}
                    state: {$ref: "#/components/schemas/NativeDeploymentState"}
                    trigger: {$ref: "#/components/schemas/NativeTrigger"}
                    nativeId: {type: integer}
                    reason: {type: [string, "null"]}
                createdBy: {type: [string, "null"]}
                startedAt: {type: [string, "null"], format: date-time}
                completedAt: {type: [string, "null"], format: date-time}
                createdAt: {type: string, format: date-time}
            DokployDeployment:
              type: object
              required: [deploymentId, title, description, status, logPath, applicationId, composeId, serverId, isPreviewDeployment, createdAt, startedAt, finishedAt, errorMessage]
              properties:
                deploymentId: {type: string, format: uuid}
                title: {type: string}
                description: {type: string}
                status: {type: string, enum: [idle, running, done, error, cancelled]}
                logPath: {type: string}
                applicationId: {type: [string, "null"], format: uuid}
                composeId: {type: [string, "null"], format: uuid}
                serverId: {type: string}
                isPreviewDeployment: {type: boolean}
                createdAt: {type: string, format: date-time}
                startedAt: {type: [string, "null"], format: date-time}
                finishedAt: {type: [string, "null"], format: date-time}
                errorMessage: {type: [string, "null"]}
            DokployQueueJob:
              type: object
              required: [id, name, data, state, timestamp, processedOn, finishedOn, failedReason]
              properties:
                id: {type: string, format: uuid}
                name: {type: string}
                data:
                  type: object
                  properties:
                    deploymentId: {type: string}
                    applicationId: {type: [string, "null"]}
                    applicationType: {type: string}
                    type: {type: string}
                    titleLog: {type: string}
                    descriptionLog: {type: string}
                    server: {type: boolean}
                    serverId: {type: string}
                    projectName: {type: string}
                    position: {type: [integer, "null"]}
                state: {type: string, enum: [waiting, active, completed, failed]}
                timestamp: {type: string, format: date-time}
                processedOn: {type: [string, "null"], format: date-time}
                finishedOn: {type: [string, "null"], format: date-time}
                failedReason: {type: [string, "null"]}
            CloudflareMessage:
              type: object
              required: [code, message]
              properties:
                code: {type: integer, minimum: 1000}
                message: {type: string}
                source:
                  type: object
                  properties:
                    pointer: {type: string}
            CloudflareEnvelope:
              type: object
              required: [success, errors, messages, result, result_info]
              properties:
                success: {type: boolean}
                errors: {type: array, items: {$ref: "#/components/schemas/CloudflareMessage"}}
                messages: {type: array, items: {$ref: "#/components/schemas/CloudflareMessage"}}
                result: {}
                result_info: {}
            CloudflareResultInfo:
              type: object
              required: [page, per_page, count, total_count, total_pages]
              properties:
                page: {type: integer}
                per_page: {type: integer}
                count: {type: integer}
                total_count: {type: integer}
                total_pages: {type: integer}
            CloudflareStage:
              type: object
              required: [name, status, started_on, ended_on]
              properties:
                name: {type: string, enum: [queued, initialize, clone_repo, build, deploy, health_check]}
                status: {type: string, enum: [idle, active, success, failure, canceled, skipped]}
                started_on: {type: [string, "null"], format: date-time}
                ended_on: {type: [string, "null"], format: date-time}
            CloudflareDeployment:
              type: object
              required: [id, short_id, project_id, project_name, environment, url, aliases, created_on, modified_on, latest_stage, stages, deployment_trigger, build_config, env_vars, is_skipped, skip_reason, source, uses_functions]
              properties:
                id: {type: string, format: uuid}
                short_id: {type: string}
                project_id: {type: string, format: uuid}
                project_name: {type: string}
                environment: {type: string, enum: [production, preview]}
                url: {type: string}
                aliases: {type: array, items: {type: string}}
                created_on: {type: string, format: date-time}
                modified_on: {type: string, format: date-time}
                latest_stage: {$ref: "#/components/schemas/CloudflareStage"}
                stages: {type: array, items: {$ref: "#/components/schemas/CloudflareStage"}}
                deployment_trigger:
                  type: object
                  required: [type, metadata]
                  properties:
                    type: {type: string, enum: [push, ad_hoc]}
                    metadata:
                      type: object
                      required: [branch, commit_hash, commit_message, commit_dirty]
                      properties:
                        branch: {type: string}
                        commit_hash: {type: [string, "null"]}
                        commit_message: {type: [string, "null"]}
                        commit_dirty: {type: boolean}
                build_config:
                  type: object
                  required: [build_caching, build_command, destination_dir, root_dir, web_analytics_tag, web_analytics_token]
                  properties:
                    build_caching: {type: boolean}
                    build_command: {type: string}
                    destination_dir: {type: string}
                    root_dir: {type: string}
                    web_analytics_tag: {type: [string, "null"]}
                    web_analytics_token: {type: [string, "null"]}
                env_vars:
                  type: object
                  additionalProperties:
                    type: object
                    required: [type, value]
                    properties:
                      type: {type: string, enum: [plain_text, secret_text]}
                      value: {type: string}
                is_skipped: {type: boolean}
                skip_reason: {type: [string, "null"]}
                source:
                  type: object
                  required: [type, config]
                  properties:
                    type: {type: string, enum: [github, gitlab, git]}
                    config:
                      type: object
                      properties:
                        owner: {type: [string, "null"]}
                        owner_id: {type: [string, "null"]}
                        repo_id: {type: [string, "null"]}
                        repo_name: {type: [string, "null"]}
                        production_branch: {type: string}
                        pr_comments_enabled: {type: boolean}
                        deployments_enabled: {type: boolean}
                        production_deployments_enabled: {type: boolean}
                        preview_deployment_setting: {type: string, enum: [all, none, custom]}
                        preview_branch_includes: {type: array, items: {type: string}}
                        preview_branch_excludes: {type: array, items: {type: string}}
                        path_includes: {type: array, items: {type: string}}
                        path_excludes: {type: array, items: {type: string}}
                uses_functions: {type: boolean}

        """#
}
