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
        /** Run a job and wait for it to end. With Accept: text/event-stream, the answer is the job's events as GET /v1/jobs/{id}/events gives them, from its submission to its end. */
        post: operations["runJob"];
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
        post: operations["submitJob"];
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
        get: operations["getJob"];
        put?: never;
        post?: never;
        /** Cancel a queued or running job. */
        delete: operations["cancelJob"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/jobs/{id}/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Server-sent events of the job as it runs: its status now, status changes, stdout and stderr as they are written (data {"data": text}), then done with the finished job. Each event but the first has an id; send the last one back as Last-Event-ID (or ?after=) to resume without missing any. A comment line every 15 s keeps a quiet stream open. */
        get: operations["getJobEvents"];
        put?: never;
        post?: never;
        delete?: never;
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
        get: operations["getJobFile"];
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
        post: operations["submitBatch"];
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
        get: operations["getBatch"];
        put?: never;
        post?: never;
        /** Cancel the items of a batch that have not ended. */
        delete: operations["cancelBatch"];
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
        /**
         * The batch's jobs as JSON lines in submission order, each written as soon as it has ended.
         * @description While no item ends for 15 seconds, a blank line is written, so that the connection is not dropped as idle: readers skip blank lines. A reader whose connection dropped after n jobs resumes with from=n.
         */
        get: operations["getBatchResults"];
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
        get: operations["getBatchEvents"];
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
        post: operations["createSession"];
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
        get: operations["getSession"];
        put?: never;
        post?: never;
        /** Close the session and free its interpreter. */
        delete: operations["closeSession"];
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
        /** Run code in the session's interpreter and wait for it to end. Variables, imports and files of earlier runs are there; the job's files are those this run created or changed. With Accept: text/event-stream, the answer is the job's events as GET /v1/jobs/{id}/events gives them, from its submission to its end. */
        post: operations["runInSession"];
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
        post: operations["createPage"];
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
        get: operations["getPage"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/info": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** What the server is: its version, the interpreter, the limits in force and the packages jobs may import. */
        get: operations["getInfo"];
        put?: never;
        post?: never;
        delete?: never;
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
        get: operations["getHealth"];
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
        /** Jobs can be accepted now: Redis answers. Whether a sandbox is ready is GET /readyz/sandboxes. */
        get: operations["getReadiness"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/readyz/sandboxes": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** What the workers can take on now: workers alive, sandboxes ready, jobs and batch items waiting or running. For autoscaling, dashboards and smoke tests, not for taking an API process out of a load balancer. */
        get: operations["getSandboxCapacity"];
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
        /** Prometheus metrics: for holders of an API key when the server has keys (or on --metrics-addr, without a key, instead). */
        get: operations["getMetrics"];
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
        get: operations["getOpenAPI"];
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
        get: operations["getMCP"];
        put?: never;
        /**
         * Model Context Protocol over streamable HTTP: send a JSON-RPC message.
         * @description sandpit's MCP server, with the tools run_python, create_session, run_in_session and close_session. It is stateless: every request stands alone (tools/call works without initialize first) and no Mcp-Session-Id is issued; the state an agent keeps is a sandpit session, named in the tool calls. Send Accept: application/json, text/event-stream. The answer to a request is a stream of server-sent events (event: message, data: a JSON-RPC message): while a tool runs code, progress notifications (when the request has a progressToken) and the code's output as log messages (notifications/message, logger stdout or stderr), then the response. Each tool call counts once against the caller's key's limits, as an HTTP request does, and sees only what that key made.
         */
        post: operations["postMCP"];
        /**
         * Model Context Protocol over streamable HTTP: end an MCP session.
         * @description sandpit's MCP server is stateless: it issues no Mcp-Session-Id and keeps no stream open, so it answers 405.
         */
        delete: operations["deleteMCP"];
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
        get: operations["getPlayground"];
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
        get: operations["getSDK"];
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
        get: operations["getSDKFrame"];
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
        /**
         * @description A job spec. Unknown fields are refused.
         * @example {
         *       "code": "print(input())",
         *       "stdin": "hi\n",
         *       "timeout_ms": 5000,
         *       "files": [
         *         {
         *           "path": "data/in.csv",
         *           "content": "a,b\n1,2\n"
         *         }
         *       ]
         *     }
         */
        Spec: {
            /** @description The program, run as __main__ from main.py. */
            code: string;
            /** @description What input() and sys.stdin read. */
            stdin?: string;
            /** @description Wall-clock limit in milliseconds; 0 or absent: the server's default. At most the server's maximum (GET /v1/info). */
            timeout_ms?: number;
            /** @description Memory cap of the interpreter in MiB; absent: the server's default. At most the server's maximum (GET /v1/info). */
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
        /**
         * @description One rich output: the same thing in one or more MIME types, such as text/plain, text/html, text/markdown, text/latex, image/svg+xml, image/png, image/jpeg, application/json and application/vnd.plotly.v1+json. JSON types (application/json and *\/*+json) hold JSON; text types (text/*, *\/*+xml) text; others (images) base64.
         * @example {
         *       "text/html": "<table><tr><td>1</td></tr></table>",
         *       "text/plain": "   a\n0  1"
         *     }
         */
        Output: {
            [key: string]: unknown;
        };
        Job: {
            id: string;
            /** @enum {string} */
            status: "queued" | "running" | "succeeded" | "failed" | "timeout" | "memory_limit" | "cancelled" | "error";
            /** @description As python main.py would exit; null until the code ends, and for timeout, cancelled and error. */
            exit_code: number | null;
            stdout: string;
            stderr: string;
            stdout_truncated?: boolean;
            stderr_truncated?: boolean;
            /** @description repr() of the last expression, if the code ends with one. */
            result: string | null;
            /** @description present and true when result passed the output cap; its head is kept */
            result_truncated?: boolean;
            error: components["schemas"]["PyError"] | null;
            files: components["schemas"]["File"][] | null;
            files_truncated?: boolean;
            /** @description Rich outputs, in the order they were made: one for each display(obj) call, for the last line's value when it shows as more than its repr(), and for each matplotlib figure. Each is a MIME bundle, as Jupyter's display data: at most as many as there may be output files, and as many bytes. Absent when there are none. */
            outputs?: components["schemas"]["Output"][];
            /** @description Rich outputs were left out: past the count or the bytes of outputs a job may have (the caps of output files). */
            outputs_truncated?: boolean;
            /** @description Why the job ended as timeout, memory_limit, cancelled or error. */
            message?: string;
            /** Format: date-time */
            created_at: string;
            /** Format: date-time */
            started_at: string | null;
            /** Format: date-time */
            finished_at: string | null;
            duration_ms: number | null;
            /** @description The batch of a batch item. */
            batch_id?: string;
            /** @description The item's own id, as submitted. */
            item_id?: string;
            /** @description The item's position in its batch, from 0. */
            index?: number;
            /** @description For a spec with a test: whether the code and then the test ran without error. */
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
            status: string;
            reason?: string;
        };
        Capacity: {
            /** @enum {string} */
            status: "ready" | "not ready";
            reason?: string;
            /** @description Workers alive. */
            workers: number;
            /** @description Jobs the workers could start at once now. */
            sandboxes_ready: number;
            /** @description Jobs waiting or running. */
            queue_depth: number;
            /** @description Batch items waiting or running. */
            batch_queue_depth: number;
        };
        /**
         * @description A batch item: a job spec that may also carry id, the caller's own id for the item. Its test, Python run after the code in the same interpreter, gives the job's passed.
         * @example {
         *       "id": "HumanEval/0",
         *       "code": "def add(a, b):\n    return a + b",
         *       "test": "assert add(2, 3) == 5"
         *     }
         */
        Item: {
            /** @description The caller's own id for the item, given back as the job's item_id (a number as its decimal text). */
            id?: string | number;
            code: components["schemas"]["Spec"]["code"];
            stdin?: components["schemas"]["Spec"]["stdin"];
            timeout_ms?: components["schemas"]["Spec"]["timeout_ms"];
            memory_mb?: components["schemas"]["Spec"]["memory_mb"];
            files?: components["schemas"]["Spec"]["files"];
            test?: components["schemas"]["Spec"]["test"];
            packages?: components["schemas"]["Spec"]["packages"];
        };
        Batch: {
            id: string;
            total: number;
            complete: boolean;
            done: number;
            pending: number;
            counts: {
                [key: string]: number;
            };
            passed: number;
            failed: number;
            finished: boolean;
            /** Format: date-time */
            created_at: string;
            /** Format: date-time */
            finished_at: string | null;
            duration_ms: number | null;
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
            /** @description Runs the session has taken. */
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
            id: string;
            /**
             * Format: uri
             * @description The page: open it, link to it, or embed it in an iframe.
             */
            url: string;
            /** Format: date-time */
            expires_at: string;
        };
        /**
         * @description A run in a session: a job spec without memory_mb (set when the session is created) and test.
         * @example {
         *       "code": "import csv\nrows = list(csv.DictReader(open(\"data.csv\")))\nlen(rows)"
         *     }
         */
        SessionRun: {
            code: components["schemas"]["Spec"]["code"];
            stdin?: components["schemas"]["Spec"]["stdin"];
            timeout_ms?: components["schemas"]["Spec"]["timeout_ms"];
            files?: components["schemas"]["Spec"]["files"];
            packages?: components["schemas"]["Spec"]["packages"];
        };
        /** @description The limits in force, in the units of the job spec's fields. */
        LimitsInfo: {
            /** @description Timeout of a job that gives none. */
            default_timeout_ms: number;
            /** @description Largest timeout_ms accepted. */
            max_timeout_ms: number;
            /** @description Memory cap of a job that gives none. */
            default_memory_mb: number;
            /** @description Smallest memory_mb accepted. */
            min_memory_mb: number;
            /** @description Largest memory_mb accepted. */
            max_memory_mb: number;
            /** @description Largest job spec, in bytes of JSON. */
            max_spec_bytes: number;
            /** @description Largest code, and test. */
            max_code_bytes: number;
            /** @description Largest stdin. */
            max_stdin_bytes: number;
            /** @description Bytes kept of stdout, and of stderr. */
            max_output_bytes: number;
            /** @description Input files per job, and output files. */
            max_files: number;
            /** @description Total bytes of a job's input files, and of its output files. */
            max_file_bytes: number;
            /** @description Longest file path. */
            max_path_bytes: number;
            /** @description Most packages one spec may name. */
            max_packages: number;
        };
        /**
         * @example {
         *       "version": "v1.4.0",
         *       "pyodide_version": "314.0.7",
         *       "python_version": "3.14.2",
         *       "limits": {
         *         "default_timeout_ms": 10000,
         *         "max_timeout_ms": 300000,
         *         "default_memory_mb": 512,
         *         "min_memory_mb": 64,
         *         "max_memory_mb": 2048,
         *         "max_spec_bytes": 16777216,
         *         "max_code_bytes": 1048576,
         *         "max_stdin_bytes": 1048576,
         *         "max_output_bytes": 1048576,
         *         "max_files": 100,
         *         "max_file_bytes": 10485760,
         *         "max_path_bytes": 255,
         *         "max_packages": 64
         *       },
         *       "packages": [
         *         "micropip",
         *         "numpy",
         *         "packaging"
         *       ]
         *     }
         */
        Info: {
            /** @description The server's version: a release tag, or a development build's commit. */
            version: string;
            pyodide_version: string;
            python_version: string;
            limits: components["schemas"]["LimitsInfo"];
            /** @description Packages of the server's repository that jobs may import (the allow-list with their dependencies), sorted; empty: the standard library only. */
            packages: string[];
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
                /**
                 * @example {
                 *       "id": "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d",
                 *       "total": 2,
                 *       "complete": true,
                 *       "done": 1,
                 *       "pending": 1,
                 *       "counts": {
                 *         "succeeded": 1
                 *       },
                 *       "passed": 1,
                 *       "failed": 0,
                 *       "finished": false,
                 *       "created_at": "2026-11-26T10:00:00Z",
                 *       "finished_at": null,
                 *       "duration_ms": null
                 *     }
                 */
                "application/json": components["schemas"]["Batch"];
            };
        };
        /** @description The session. */
        Session: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "id": "3c2d1e4f5f0c9d3e2b7a4c1d8e6f0a9b",
                 *       "status": "open",
                 *       "runs": 0,
                 *       "created_at": "2026-11-26T10:00:00Z",
                 *       "last_used_at": "2026-11-26T10:00:00Z",
                 *       "expires_at": "2026-11-26T10:10:00Z"
                 *     }
                 */
                "application/json": components["schemas"]["Session"];
            };
        };
        /** @description The request is malformed or breaks a limit; the message names the field. */
        BadRequest: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description The server has API keys and the request has no valid Authorization: Bearer KEY. */
        Unauthorized: {
            headers: {
                /** @description Bearer realm="sandpit" */
                "WWW-Authenticate": string;
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description No such resource, or it has expired. */
        NotFound: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description The request contradicts the resource's state. */
        Conflict: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description The body is over the server's size limit (--max-spec-bytes). */
        TooLarge: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description The body's Content-Type is not one read as JSON. */
        Unsupported: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description The queue is full (queue_full), or the API key is over its rate, its requests in flight or its live pages (rate_limited). Retry-After says when to try again. */
        TooManyRequests: {
            headers: {
                "Retry-After": components["headers"]["RetryAfter"];
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description The API key is over its rate or its requests in flight (Retry-After says when to try again), or holds its most open sessions (Retry-After says when its least recently used session would expire idle; or close one). */
        TooManySessions: {
            headers: {
                /** @description Seconds to wait before trying again; absent when waiting will not help. */
                "Retry-After"?: number;
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description A fault of sandpit's own (Redis unreachable, say); the details are logged, not returned. */
        Internal: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description A part sandpit needs could not do its work; try again. */
        Unavailable: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
    };
    parameters: {
        JobID: string;
        /** @description Repeating a key (per API key, within the retention time) returns the job it created before instead of enqueuing a new one, so that a client can retry a submission safely. 1 to 255 visible ASCII characters. */
        IdempotencyKey: string;
        BatchID: string;
        SessionID: string;
        PageID: string;
    };
    requestBodies: never;
    headers: {
        /**
         * @description Seconds to wait before trying again.
         * @example 1
         */
        RetryAfter: number;
        /** @description Where the created resource is. */
        Location: string;
    };
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    runJob: {
        parameters: {
            query?: never;
            header?: {
                /** @description Repeating a key (per API key, within the retention time) returns the job it created before instead of enqueuing a new one, so that a client can retry a submission safely. 1 to 255 visible ASCII characters. */
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
            /** @description The finished job. */
            200: {
                headers: {
                    /** @description /v1/jobs/{id} */
                    Location: components["headers"]["Location"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Job"];
                    /**
                     * @example event: status
                     *     data: {"status":"queued"}
                     *
                     *     id: 1764583200000-0
                     *     event: status
                     *     data: {"status":"running"}
                     *
                     *     id: 1764583200012-0
                     *     event: stdout
                     *     data: {"data":"step 1\n"}
                     *
                     *     id: 1764583201015-0
                     *     event: done
                     *     data: {"id":"5f0c9d3e2b7a4c1d8e6f0a9b3c2d1e4f","status":"succeeded",…}
                     */
                    "text/event-stream": string;
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            413: components["responses"]["TooLarge"];
            415: components["responses"]["Unsupported"];
            429: components["responses"]["TooManyRequests"];
            500: components["responses"]["Internal"];
        };
    };
    submitJob: {
        parameters: {
            query?: never;
            header?: {
                /** @description Repeating a key (per API key, within the retention time) returns the job it created before instead of enqueuing a new one, so that a client can retry a submission safely. 1 to 255 visible ASCII characters. */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "code": "import time\ntime.sleep(1)\nprint('done')"
                 *     }
                 */
                "application/json": components["schemas"]["Spec"];
            };
        };
        responses: {
            /** @description The queued job. */
            202: {
                headers: {
                    /** @description /v1/jobs/{id} */
                    Location: components["headers"]["Location"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "5f0c9d3e2b7a4c1d8e6f0a9b3c2d1e4f",
                     *       "status": "queued",
                     *       "exit_code": null,
                     *       "stdout": "",
                     *       "stderr": "",
                     *       "result": null,
                     *       "error": null,
                     *       "files": null,
                     *       "created_at": "2026-11-26T10:00:00.000Z",
                     *       "started_at": null,
                     *       "finished_at": null,
                     *       "duration_ms": null
                     *     }
                     */
                    "application/json": components["schemas"]["Job"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            413: components["responses"]["TooLarge"];
            415: components["responses"]["Unsupported"];
            429: components["responses"]["TooManyRequests"];
            500: components["responses"]["Internal"];
        };
    };
    getJob: {
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
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["NotFound"];
            429: components["responses"]["TooManyRequests"];
            500: components["responses"]["Internal"];
        };
    };
    cancelJob: {
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
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            429: components["responses"]["TooManyRequests"];
            500: components["responses"]["Internal"];
        };
    };
    getJobEvents: {
        parameters: {
            query?: {
                /** @description As Last-Event-ID, for readers that cannot set headers. */
                after?: string;
            };
            header?: {
                /** @description The id of the last event read: the stream goes on after it. */
                "Last-Event-ID"?: string;
            };
            path: {
                id: components["parameters"]["JobID"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description An event stream. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example event: status
                     *     data: {"status":"queued"}
                     *
                     *     id: 1764583200000-0
                     *     event: status
                     *     data: {"status":"running"}
                     *
                     *     id: 1764583200012-0
                     *     event: stdout
                     *     data: {"data":"step 1\n"}
                     *
                     *     id: 1764583201015-0
                     *     event: done
                     *     data: {"id":"5f0c9d3e2b7a4c1d8e6f0a9b3c2d1e4f","status":"succeeded",…}
                     */
                    "text/event-stream": string;
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["NotFound"];
            429: components["responses"]["TooManyRequests"];
            500: components["responses"]["Internal"];
        };
    };
    getJobFile: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: components["parameters"]["JobID"];
                /** @description The file's path in the job's working directory, as in the job's files; its slashes are sent as they are (figures/figure_1.png). */
                path: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The file's bytes. */
            200: {
                headers: {
                    /** @description default-src 'none'; sandbox: a file never runs as a page of sandpit. */
                    "Content-Security-Policy": string;
                    /** @description inline for images, text, CSV and JSON; attachment for the rest. */
                    "Content-Disposition": string;
                    [name: string]: unknown;
                };
                content: {
                    "*/*": string;
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["NotFound"];
            429: components["responses"]["TooManyRequests"];
            500: components["responses"]["Internal"];
        };
    };
    submitBatch: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "jobs": [
                 *         {
                 *           "id": "HumanEval/0",
                 *           "code": "def add(a, b):\n    return a + b",
                 *           "test": "assert add(2, 3) == 5"
                 *         }
                 *       ]
                 *     }
                 */
                "application/json": {
                    jobs: components["schemas"]["Item"][];
                };
                /**
                 * @example {
                 *       "id": "HumanEval/0",
                 *       "code": "def add(a, b):\n    return a + b",
                 *       "test": "assert add(2, 3) == 5"
                 *     }
                 */
                "application/x-ndjson": components["schemas"]["Item"];
            };
        };
        responses: {
            /** @description The accepted batch. */
            202: {
                headers: {
                    /** @description /v1/batches/{id} */
                    Location: components["headers"]["Location"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d",
                     *       "total": 2,
                     *       "complete": true,
                     *       "done": 1,
                     *       "pending": 1,
                     *       "counts": {
                     *         "succeeded": 1
                     *       },
                     *       "passed": 1,
                     *       "failed": 0,
                     *       "finished": false,
                     *       "created_at": "2026-11-26T10:00:00Z",
                     *       "finished_at": null,
                     *       "duration_ms": null
                     *     }
                     */
                    "application/json": components["schemas"]["Batch"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            413: components["responses"]["TooLarge"];
            415: components["responses"]["Unsupported"];
            429: components["responses"]["TooManyRequests"];
            500: components["responses"]["Internal"];
        };
    };
    getBatch: {
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
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["NotFound"];
            429: components["responses"]["TooManyRequests"];
            500: components["responses"]["Internal"];
        };
    };
    cancelBatch: {
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
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["NotFound"];
            429: components["responses"]["TooManyRequests"];
            500: components["responses"]["Internal"];
        };
    };
    getBatchResults: {
        parameters: {
            query?: {
                /** @description The index of the first item whose job to write; default 0. */
                from?: number;
            };
            header?: never;
            path: {
                id: components["parameters"]["BatchID"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description One job per line, and a blank line while no item ends for 15 seconds. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "5f0c9d3e2b7a4c1d8e6f0a9b3c2d1e4f",
                     *       "status": "succeeded",
                     *       "exit_code": 0,
                     *       "stdout": "hello\n",
                     *       "stderr": "",
                     *       "result": "42",
                     *       "error": null,
                     *       "files": [],
                     *       "created_at": "2026-11-26T10:00:00.000Z",
                     *       "started_at": "2026-11-26T10:00:00.002Z",
                     *       "finished_at": "2026-11-26T10:00:00.015Z",
                     *       "duration_ms": 13
                     *     }
                     */
                    "application/x-ndjson": components["schemas"]["Job"];
                };
            };
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["NotFound"];
            429: components["responses"]["TooManyRequests"];
            500: components["responses"]["Internal"];
        };
    };
    getBatchEvents: {
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
                    /**
                     * @example event: progress
                     *     data: {"id":"9a8b…","total":2,"done":1,…}
                     *
                     *     event: done
                     *     data: {"id":"9a8b…","total":2,"done":2,"finished":true,…}
                     */
                    "text/event-stream": string;
                };
            };
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["NotFound"];
            429: components["responses"]["TooManyRequests"];
            500: components["responses"]["Internal"];
        };
    };
    createSession: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: {
            content: {
                /**
                 * @example {
                 *       "files": [
                 *         {
                 *           "path": "data.csv",
                 *           "content": "x\n1\n2\n"
                 *         }
                 *       ]
                 *     }
                 */
                "application/json": components["schemas"]["SessionSpec"];
            };
        };
        responses: {
            /** @description The open session. */
            201: {
                headers: {
                    /** @description /v1/sessions/{id} */
                    Location: components["headers"]["Location"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "3c2d1e4f5f0c9d3e2b7a4c1d8e6f0a9b",
                     *       "status": "open",
                     *       "runs": 0,
                     *       "created_at": "2026-11-26T10:00:00Z",
                     *       "last_used_at": "2026-11-26T10:00:00Z",
                     *       "expires_at": "2026-11-26T10:10:00Z"
                     *     }
                     */
                    "application/json": components["schemas"]["Session"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            413: components["responses"]["TooLarge"];
            415: components["responses"]["Unsupported"];
            429: components["responses"]["TooManySessions"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    getSession: {
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
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["NotFound"];
            429: components["responses"]["TooManyRequests"];
            500: components["responses"]["Internal"];
        };
    };
    closeSession: {
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
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["NotFound"];
            429: components["responses"]["TooManyRequests"];
            500: components["responses"]["Internal"];
        };
    };
    runInSession: {
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
                "application/json": components["schemas"]["SessionRun"];
            };
        };
        responses: {
            /** @description A job. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Job"];
                    /**
                     * @example event: status
                     *     data: {"status":"queued"}
                     *
                     *     id: 1764583200000-0
                     *     event: status
                     *     data: {"status":"running"}
                     *
                     *     id: 1764583200012-0
                     *     event: stdout
                     *     data: {"data":"step 1\n"}
                     *
                     *     id: 1764583201015-0
                     *     event: done
                     *     data: {"id":"5f0c9d3e2b7a4c1d8e6f0a9b3c2d1e4f","status":"succeeded",…}
                     */
                    "text/event-stream": string;
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["TooLarge"];
            415: components["responses"]["Unsupported"];
            429: components["responses"]["TooManyRequests"];
            500: components["responses"]["Internal"];
        };
    };
    createPage: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "code": "print(\"hello from your browser\")\nsum(range(10))",
                 *       "timeout_ms": 5000
                 *     }
                 */
                "application/json": components["schemas"]["Spec"];
            };
        };
        responses: {
            /** @description The page. */
            201: {
                headers: {
                    /** @description /p/{id} */
                    Location: components["headers"]["Location"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "9c1e2d3f4a5b6c7d8e9f0a1b2c3d4e5f",
                     *       "url": "https://sandpit.example.com/p/9c1e2d3f4a5b6c7d8e9f0a1b2c3d4e5f",
                     *       "expires_at": "2026-11-27T10:00:00Z"
                     *     }
                     */
                    "application/json": components["schemas"]["Page"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            413: components["responses"]["TooLarge"];
            415: components["responses"]["Unsupported"];
            429: components["responses"]["TooManyRequests"];
            500: components["responses"]["Internal"];
        };
    };
    getPage: {
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
            500: components["responses"]["Internal"];
        };
    };
    getInfo: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The server's information. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Info"];
                };
            };
            401: components["responses"]["Unauthorized"];
            429: components["responses"]["TooManyRequests"];
            500: components["responses"]["Internal"];
        };
    };
    getHealth: {
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
                    /**
                     * @example {
                     *       "status": "ok"
                     *     }
                     */
                    "application/json": components["schemas"]["Status"];
                };
            };
        };
    };
    getReadiness: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Ready: jobs are accepted, and wait in the queue until a worker takes them. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "status": "ready"
                     *     }
                     */
                    "application/json": components["schemas"]["Status"];
                };
            };
            /** @description Not ready (Redis is unreachable), with the reason. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "status": "not ready",
                     *       "reason": "redis is unreachable"
                     *     }
                     */
                    "application/json": components["schemas"]["Status"];
                };
            };
        };
    };
    getSandboxCapacity: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Some worker has a sandbox ready. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "status": "ready",
                     *       "workers": 1,
                     *       "sandboxes_ready": 2,
                     *       "queue_depth": 0,
                     *       "batch_queue_depth": 0
                     *     }
                     */
                    "application/json": components["schemas"]["Capacity"];
                };
            };
            /** @description No worker has a sandbox ready, or Redis is unreachable, with the reason. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "status": "not ready",
                     *       "reason": "no worker has a sandbox ready",
                     *       "workers": 1,
                     *       "sandboxes_ready": 0,
                     *       "queue_depth": 4,
                     *       "batch_queue_depth": 0
                     *     }
                     */
                    "application/json": components["schemas"]["Capacity"];
                };
            };
        };
    };
    getMetrics: {
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
            401: components["responses"]["Unauthorized"];
            429: components["responses"]["TooManyRequests"];
        };
    };
    getOpenAPI: {
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
    getMCP: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            401: components["responses"]["Unauthorized"];
            /** @description Not offered by a stateless server. */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            429: components["responses"]["TooManyRequests"];
            500: components["responses"]["Internal"];
        };
    };
    postMCP: {
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
            /** @description Server-sent events: the notifications of the request, then its JSON-RPC response. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example event: message
                     *     data: {"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","logger":"stdout","data":"45\n"}}
                     *
                     *     event: message
                     *     data: {"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"status: succeeded (exit code 0)\n\nstdout:\n45\n"}],…}}
                     */
                    "text/event-stream": string;
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
            401: components["responses"]["Unauthorized"];
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
            429: components["responses"]["TooManyRequests"];
            500: components["responses"]["Internal"];
        };
    };
    deleteMCP: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            401: components["responses"]["Unauthorized"];
            /** @description Not offered by a stateless server. */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            429: components["responses"]["TooManyRequests"];
            500: components["responses"]["Internal"];
        };
    };
    getPlayground: {
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
    getSDK: {
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
    getSDKFrame: {
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
}
