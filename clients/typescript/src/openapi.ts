// Generated from api/openapi.json by `npm run generate` (openapi-typescript); do not edit.

export interface paths {
    "/v1/run": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Run a job and wait for it to end. */
        post: {
            parameters: {
                query?: never;
                header?: {
                    /** @description Repeating a key returns the job it created before. */
                    "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
                };
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["Spec"];
                };
            };
            responses: {
                200: components["responses"]["Job"];
                400: components["responses"]["Error"];
                401: components["responses"]["Error"];
                413: components["responses"]["Error"];
                415: components["responses"]["Error"];
                429: components["responses"]["Error"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/jobs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Enqueue a job. */
        post: {
            parameters: {
                query?: never;
                header?: {
                    /** @description Repeating a key returns the job it created before. */
                    "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
                };
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["Spec"];
                };
            };
            responses: {
                202: components["responses"]["Job"];
                400: components["responses"]["Error"];
                401: components["responses"]["Error"];
                413: components["responses"]["Error"];
                415: components["responses"]["Error"];
                429: components["responses"]["Error"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/jobs/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The job as it is now. */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: components["parameters"]["JobID"];
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                200: components["responses"]["Job"];
                401: components["responses"]["Error"];
                404: components["responses"]["Error"];
            };
        };
        put?: never;
        post?: never;
        /** Cancel a queued or running job. */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: components["parameters"]["JobID"];
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                200: components["responses"]["Job"];
                401: components["responses"]["Error"];
                404: components["responses"]["Error"];
                409: components["responses"]["Error"];
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/healthz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The process is up. */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Up. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Status"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/readyz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A job could start now. */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Ready. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Status"];
                    };
                };
                /** @description Not ready, with the reason. */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Status"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/metrics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Prometheus metrics. */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Metrics in the Prometheus text format. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "text/plain": string;
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/openapi.json": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** This document. */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The OpenAPI document. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": Record<string, never>;
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/batches": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Submit a batch: {"jobs": [item, ...]} or JSON lines, one item per line (application/x-ndjson). Every item is validated before any is enqueued. */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        jobs: components["schemas"]["Item"][];
                    };
                    "application/x-ndjson": components["schemas"]["Item"];
                };
            };
            responses: {
                202: components["responses"]["Batch"];
                400: components["responses"]["Error"];
                401: components["responses"]["Error"];
                413: components["responses"]["Error"];
                415: components["responses"]["Error"];
                429: components["responses"]["Error"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/batches/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A batch's progress: counts by status, passed and failed tests, done flag, timings. */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: components["parameters"]["BatchID"];
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                200: components["responses"]["Batch"];
                401: components["responses"]["Error"];
                404: components["responses"]["Error"];
            };
        };
        put?: never;
        post?: never;
        /** Cancel the items of a batch that have not ended. */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: components["parameters"]["BatchID"];
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                200: components["responses"]["Batch"];
                401: components["responses"]["Error"];
                404: components["responses"]["Error"];
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/batches/{id}/results": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The batch's jobs as JSON lines in submission order, each written as soon as it has ended. */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: components["parameters"]["BatchID"];
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description One job per line. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/x-ndjson": components["schemas"]["Job"];
                    };
                };
                401: components["responses"]["Error"];
                404: components["responses"]["Error"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/batches/{id}/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Server-sent events of the batch's progress: progress events, then a done event. */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: components["parameters"]["BatchID"];
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description An event stream whose data are Batch objects. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "text/event-stream": string;
                    };
                };
                401: components["responses"]["Error"];
                404: components["responses"]["Error"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/mcp": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Model Context Protocol over streamable HTTP: open a stream of server messages.
         * @description sandpit's MCP server is stateless: it issues no Mcp-Session-Id and keeps no stream open, so it answers 405.
         */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                401: components["responses"]["Error"];
                /** @description Not offered by a stateless server. */
                405: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                429: components["responses"]["Error"];
            };
        };
        put?: never;
        /**
         * Model Context Protocol over streamable HTTP: send a JSON-RPC message.
         * @description sandpit's MCP server, with the tools run_python, create_session, run_in_session and close_session. It is stateless: every request stands alone (tools/call works without initialize first) and no Mcp-Session-Id is issued; the state an agent keeps is a sandpit session, named in the tool calls. Send Accept: application/json, text/event-stream; the answer is JSON. Each tool call also counts as one /v1 request of the caller's key.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": Record<string, never>;
                };
            };
            responses: {
                /** @description The JSON-RPC response. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": Record<string, never>;
                    };
                };
                /** @description A notification or response was accepted. */
                202: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description Not a valid MCP message (plain text). */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                401: components["responses"]["Error"];
                /** @description Sent to a loopback address with a Host header that is not loopback (DNS rebinding protection). */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description The body is larger than the server accepts (plain text). */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description The body is not application/json (plain text). */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                429: components["responses"]["Error"];
            };
        };
        /**
         * Model Context Protocol over streamable HTTP: end an MCP session.
         * @description sandpit's MCP server is stateless: it issues no Mcp-Session-Id and keeps no stream open, so it answers 405.
         */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                401: components["responses"]["Error"];
                /** @description Not offered by a stateless server. */
                405: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                429: components["responses"]["Error"];
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/jobs/{id}/files/{path}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Download one output file of a finished job, as bytes with its media type. */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: components["parameters"]["JobID"];
                    /** @description The file's path in the job's working directory, as in the job's files. */
                    path: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The file's bytes. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "*/*": string;
                    };
                };
                401: components["responses"]["Error"];
                404: components["responses"]["Error"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/sessions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Open a session: one interpreter whose state lasts across its runs. Answers once the interpreter is ready. */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: {
                content: {
                    "application/json": components["schemas"]["SessionSpec"];
                };
            };
            responses: {
                201: components["responses"]["Session"];
                400: components["responses"]["Error"];
                401: components["responses"]["Error"];
                413: components["responses"]["Error"];
                415: components["responses"]["Error"];
                429: components["responses"]["Error"];
                503: components["responses"]["Error"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/sessions/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The session as it is now. */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: components["parameters"]["SessionID"];
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                200: components["responses"]["Session"];
                401: components["responses"]["Error"];
                404: components["responses"]["Error"];
            };
        };
        put?: never;
        post?: never;
        /** Close the session and free its interpreter. */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: components["parameters"]["SessionID"];
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                200: components["responses"]["Session"];
                401: components["responses"]["Error"];
                404: components["responses"]["Error"];
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/sessions/{id}/run": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Run code in the session's interpreter and wait for it to end. Variables, imports and files of earlier runs are there; the job's files are those this run created or changed. */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: components["parameters"]["SessionID"];
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["Spec"];
                };
            };
            responses: {
                200: components["responses"]["Job"];
                400: components["responses"]["Error"];
                401: components["responses"]["Error"];
                404: components["responses"]["Error"];
                409: components["responses"]["Error"];
                413: components["responses"]["Error"];
                415: components["responses"]["Error"];
                429: components["responses"]["Error"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/pages": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Store a job spec as a client-side page.
         * @description The page at the answer's url runs the code in the browser of whoever opens it, with the same harness, limits and job fields as POST /v1/run; the server runs nothing. Pages expire (--page-ttl) and count against the API key that made them (--max-pages-per-key live pages; past it, 429 with Retry-After). packages is passed to the browser's harness.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["Spec"];
                };
            };
            responses: {
                /** @description The page. */
                201: {
                    headers: {
                        /** @description /p/{id} */
                        Location?: string;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Page"];
                    };
                };
                400: components["responses"]["Error"];
                401: components["responses"]["Error"];
                413: components["responses"]["Error"];
                415: components["responses"]["Error"];
                429: components["responses"]["Error"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/p/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A client-side page.
         * @description An HTML page that runs the page's code in the viewer's browser and shows the job. Needs no API key: the unguessable URL is the capability. Frameable by any site; when embedded, it posts {sandpit: "page", job} to its parent once the job ends.
         */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: components["parameters"]["PageID"];
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The page. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "text/html": string;
                    };
                };
                /** @description The page has expired or never existed. */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "text/html": string;
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The playground.
         * @description Write Python and run it on the server (POST /v1/run) or in this browser (the SDK).
         */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The playground. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "text/html": string;
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/sdk/sandpit.js": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The browser SDK, an ES module.
         * @description Exports run(code, options) -> Promise<job>, which runs code in the end user's browser and resolves with a job of the same fields as POST /v1/run; also Sandbox, preload and SandpitError. Served with Access-Control-Allow-Origin: * so any site may import it.
         */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The module. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "text/javascript": string;
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/sdk/frame.html": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The SDK's frame.
         * @description The sandboxed document, on an opaque origin, in which the SDK and client-side pages run code. Not for direct use.
         */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The frame. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "text/html": string;
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        File: {
            /** @description Relative, clean path under the working directory. */
            path: string;
            content: string;
            /**
             * @default utf-8
             * @enum {string}
             */
            encoding?: "utf-8" | "base64";
            readonly mime_type?: string;
            readonly size?: number;
        };
        Spec: {
            code: string;
            stdin?: string;
            timeout_ms?: number;
            memory_mb?: number;
            files?: components["schemas"]["File"][];
            /** @description Python run after code in the same interpreter; passed says whether both ran without error. */
            test?: string;
            /** @description Packages of the server's package repository to load before the code runs, besides those its imports name. */
            packages?: string[];
        };
        PyError: {
            type?: string;
            message?: string;
            traceback?: string;
        };
        Job: {
            id: string;
            /** @enum {string} */
            status: "queued" | "running" | "succeeded" | "failed" | "timeout" | "memory_limit" | "cancelled" | "error";
            exit_code?: number | null;
            stdout?: string;
            stderr?: string;
            stdout_truncated?: boolean;
            stderr_truncated?: boolean;
            /** @description repr() of the last expression, if the code ends with one. */
            result?: string | null;
            error?: components["schemas"]["PyError"] | null;
            files?: components["schemas"]["File"][] | null;
            files_truncated?: boolean;
            message?: string;
            /** Format: date-time */
            created_at: string;
            /** Format: date-time */
            started_at?: string | null;
            /** Format: date-time */
            finished_at?: string | null;
            duration_ms?: number | null;
            batch_id?: string;
            item_id?: string;
            index?: number;
            passed?: boolean;
        };
        Error: {
            error: {
                /** @enum {string} */
                code: "invalid" | "unauthorized" | "not_found" | "method" | "conflict" | "too_large" | "unsupported" | "queue_full" | "rate_limited" | "internal" | "unavailable" | "timeout";
                message: string;
            };
        };
        Status: {
            status?: string;
            reason?: string;
        };
        /** @description A job spec that may also carry id, the caller's own id for the item (a string or a number), and test, Python run after the code whose success gives the item's passed. */
        Item: components["schemas"]["Spec"];
        Batch: {
            id?: string;
            total?: number;
            complete?: boolean;
            done?: number;
            pending?: number;
            counts?: {
                [key: string]: number;
            };
            passed?: number;
            failed?: number;
            finished?: boolean;
            /** Format: date-time */
            created_at?: string;
            /** Format: date-time */
            finished_at?: string | null;
            duration_ms?: number | null;
        };
        SessionSpec: {
            memory_mb?: number;
            /** @description Packages of the server's package repository to load before the code runs, besides those its imports name. */
            packages?: string[];
            files?: components["schemas"]["File"][];
        };
        Session: {
            id: string;
            /** @enum {string} */
            status: "open" | "closed" | "expired" | "error";
            /** @description Why the session ended as expired or error. */
            message?: string;
            runs: number;
            /** Format: date-time */
            created_at: string;
            /** Format: date-time */
            last_used_at: string;
            /**
             * Format: date-time
             * @description When an open session expires unless used before; when an ended one ended.
             */
            expires_at: string;
        };
        Page: {
            /** @description Unguessable: 128 random bits. */
            id?: string;
            /**
             * Format: uri
             * @description The page: open it, link to it, or embed it in an iframe.
             */
            url?: string;
            /** Format: date-time */
            expires_at?: string;
        };
    };
    responses: {
        /** @description An error, with a code and a message naming what is wrong. */
        Error: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description A job. */
        Job: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Job"];
            };
        };
        /** @description A batch and its progress. */
        Batch: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Batch"];
            };
        };
        /** @description The session. */
        Session: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Session"];
            };
        };
    };
    parameters: {
        JobID: string;
        /** @description Repeating a key returns the job it created before. */
        IdempotencyKey: string;
        BatchID: string;
        SessionID: string;
        PageID: string;
    };
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export type operations = Record<string, never>;
