{{/* The name of the release's objects. */}}
{{- define "sandpit.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "sandpit.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* Selector labels of one component: api, worker or redis. */}}
{{- define "sandpit.selector" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "sandpit.image" -}}
{{ printf "%s:%s" .Values.image.repository .Values.image.tag }}
{{- end -}}

{{/* The Secret and key that hold the Redis URL. */}}
{{- define "sandpit.redisSecret" -}}
{{- if .Values.redis.existingSecret -}}{{ .Values.redis.existingSecret }}{{- else -}}{{ include "sandpit.fullname" . }}-redis-url{{- end -}}
{{- end -}}

{{/* The address (host:port) of the chart's own Redis. */}}
{{- define "sandpit.redisAddress" -}}
{{ include "sandpit.fullname" . }}-redis:6379
{{- end -}}

{{/* Arguments and environment both the api and the workers take. */}}
{{- define "sandpit.redisArgs" -}}
{{- if .Values.redis.sentinel.enabled }}
- --redis-sentinel
- {{ printf "%s@%s" (required "redis.sentinel.masterName is required" .Values.redis.sentinel.masterName) (required "redis.sentinel.addresses is required" .Values.redis.sentinel.addresses) | quote }}
{{- else if .Values.redis.cluster.enabled }}
- --redis-cluster
- {{ required "redis.cluster.addresses is required" .Values.redis.cluster.addresses | quote }}
{{- end }}
- --redis-prefix
- {{ .Values.redis.prefix | quote }}
{{- if .Values.redis.waitReplicas }}
- --redis-wait-replicas
- {{ .Values.redis.waitReplicas | quote }}
{{- end }}
{{- if .Values.packages.allow }}
- --packages
- {{ .Values.packages.allow | quote }}
{{- end }}
{{- if .Values.packages.preload }}
- --preload
- {{ .Values.packages.preload | quote }}
{{- end }}
{{- if .Values.redis.tls.enabled }}
- --redis-tls
{{- if .Values.redis.tls.existingSecret }}
- --redis-tls-ca
- /etc/sandpit/redis-tls/ca.crt
{{- if .Values.redis.tls.clientCertificate }}
- --redis-tls-cert
- /etc/sandpit/redis-tls/tls.crt
- --redis-tls-key
- /etc/sandpit/redis-tls/tls.key
{{- end }}
{{- end }}
{{- end }}
{{- end -}}

{{- define "sandpit.commonEnv" -}}
{{- if not (or .Values.redis.sentinel.enabled .Values.redis.cluster.enabled) }}
- name: SANDPIT_REDIS_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "sandpit.redisSecret" . }}
      key: {{ .Values.redis.existingSecretKey }}
{{- end }}
{{- if .Values.redis.passwordSecret }}
- name: SANDPIT_REDIS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ .Values.redis.passwordSecret }}
      key: {{ .Values.redis.passwordSecretKey }}
{{- end }}
{{- if or .Values.packages.builtIn .Values.packages.volume }}
- name: SANDPIT_PACKAGES_DIR
  value: /srv/pyodide-packages
{{- end }}
{{- end -}}

{{/* Volumes both the api and the workers mount: the package repository
and the certificates for Redis over TLS. */}}
{{- define "sandpit.sharedMounts" -}}
{{- if .Values.packages.volume }}
- name: packages
  mountPath: /srv/pyodide-packages
  readOnly: true
{{- end }}
{{- if and .Values.redis.tls.enabled .Values.redis.tls.existingSecret }}
- name: redis-tls
  mountPath: /etc/sandpit/redis-tls
  readOnly: true
{{- end }}
{{- end -}}

{{- define "sandpit.sharedVolumes" -}}
{{- if .Values.packages.volume }}
- name: packages
  {{- toYaml .Values.packages.volume | nindent 2 }}
{{- end }}
{{- if and .Values.redis.tls.enabled .Values.redis.tls.existingSecret }}
- name: redis-tls
  secret:
    secretName: {{ .Values.redis.tls.existingSecret }}
    defaultMode: 0440
{{- end }}
{{- end -}}

{{/* Checks of the values that no schema can express. */}}
{{- define "sandpit.check" -}}
{{- if and (not .Values.apiKeys.existingSecret) (not .Values.apiKeys.keys) -}}
{{- fail "apiKeys: set apiKeys.existingSecret (or apiKeys.keys): the API listens beyond loopback and refuses to start without keys" -}}
{{- end -}}
{{- if and (not .Values.redis.enabled) (not .Values.redis.url) (not .Values.redis.existingSecret) (not .Values.redis.sentinel.enabled) (not .Values.redis.cluster.enabled) -}}
{{- fail "redis: set redis.enabled, redis.url or redis.existingSecret" -}}
{{- end -}}
{{- if and .Values.redis.sentinel.enabled .Values.redis.cluster.enabled -}}
{{- fail "redis: set one of redis.sentinel.enabled and redis.cluster.enabled, not both" -}}
{{- end -}}
{{- if and .Values.redis.enabled .Values.redis.tls.enabled -}}
{{- fail "redis: redis.tls is for a Redis of your own; the chart's Redis (redis.enabled) speaks plain TCP inside the namespace" -}}
{{- end -}}
{{- if and .Values.redis.tls.clientCertificate (not .Values.redis.tls.existingSecret) -}}
{{- fail "redis: redis.tls.clientCertificate needs redis.tls.existingSecret, the Secret that holds tls.crt and tls.key" -}}
{{- end -}}
{{- if and .Values.redis.enabled (or .Values.redis.sentinel.enabled .Values.redis.cluster.enabled) -}}
{{- fail "redis: redis.enabled runs a single Redis; set it to false with redis.sentinel or redis.cluster" -}}
{{- end -}}
{{- if le (int .Values.worker.terminationGracePeriodSeconds) (int .Values.worker.shutdownGraceSeconds) -}}
{{- fail (printf "worker.terminationGracePeriodSeconds (%v) must be longer than worker.shutdownGraceSeconds (%v): the kubelet would kill workers mid-drain" .Values.worker.terminationGracePeriodSeconds .Values.worker.shutdownGraceSeconds) -}}
{{- end -}}
{{- if and .Values.packages.builtIn .Values.packages.volume -}}
{{- fail "packages: set packages.builtIn or packages.volume, not both" -}}
{{- end -}}
{{- end -}}
