import Hummingbird
import NIOCore

/// The API's OpenAPI document, served at `GET /openapi.yaml`. So far it covers the Dokploy and Cloudflare Pages
/// dialects; the native and Deploys dialects are still to be added (issue 7).
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
            Slipway's API. This document covers the Dokploy (`/api/deployment.*`) and Cloudflare Pages
            (`/client/v4/...`) dialects; the native (`/api/v1`) and Deploys (`/api/deploys`) dialects are not in it yet.
        servers:
          - url: /
        security:
          - bearer: []
          - apiKey: []
        tags:
          - name: dokploy
          - name: cloudflare
        paths:
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
          /api/deployment.allCentralized:
            get:
              tags: [dokploy]
              operationId: dokployDeploymentAllCentralized
              responses:
                "200": {$ref: "#/components/responses/DokployDeployments"}
                "401": {$ref: "#/components/responses/DokployError"}
                "403": {$ref: "#/components/responses/DokployError"}
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
                        branch: {type: string}
                        commit_hash: {type: string}
                        commit_message: {type: string, maxLength: 4096}
                        commit_dirty: {type: [boolean, string]}
                  multipart/form-data:
                    schema:
                      type: object
                      additionalProperties: false
                      properties:
                        branch: {type: string}
                        commit_hash: {type: string}
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
        components:
          securitySchemes:
            bearer: {type: http, scheme: bearer}
            apiKey: {type: apiKey, in: header, name: x-api-key}
          parameters:
            AccountId: {name: account_id, in: path, required: true, schema: {type: string}}
            ProjectName: {name: project_name, in: path, required: true, schema: {type: string}}
            DeploymentId: {name: deployment_id, in: path, required: true, schema: {type: string}}
          requestBodies:
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
