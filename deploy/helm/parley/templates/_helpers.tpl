{{/* Chart name, truncated to the 63 characters a label allows. */}}
{{- define "parley.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Fully qualified app name: release-chart unless the release name already holds it. */}}
{{- define "parley.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "parley.selectorLabels" -}}
app.kubernetes.io/name: {{ include "parley.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "parley.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "parley.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "parley.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "parley.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The Secret the pods read: the user's existingSecret or the chart's own. */}}
{{- define "parley.secretName" -}}
{{- default (include "parley.fullname" .) .Values.existingSecret -}}
{{- end -}}

{{/* Whether the chart renders its own Secret (something to put in it, no existingSecret). */}}
{{- define "parley.ownSecret" -}}
{{- $s := .Values.secrets -}}
{{- $c := .Values.calls -}}
{{- if and (not .Values.existingSecret) (or .Values.database.url .Values.nats.url .Values.redis.url .Values.blobs.url $s.setupToken $s.metricsToken $s.kmsKey $c.turn.secret $c.coturn.cliPassword $c.janus.apiSecret $c.janus.adminKey) -}}true{{- end -}}
{{- end -}}

{{/* Whether the KMS key file comes from a Secret (else the server creates it on the data volume). */}}
{{- define "parley.kmsFromSecret" -}}
{{- if or .Values.existingSecret .Values.secrets.kmsKey -}}true{{- end -}}
{{- end -}}

{{/* More than one node may run at once. */}}
{{- define "parley.multiNode" -}}
{{- if or .Values.autoscaling.enabled (gt (int .Values.replicaCount) 1) -}}true{{- end -}}
{{- end -}}

{{- define "parley.publicUrl" -}}
{{- if .Values.publicUrl -}}
{{- .Values.publicUrl -}}
{{- else if and .Values.ingress.enabled .Values.ingress.hosts -}}
{{- printf "https://%s" (first .Values.ingress.hosts).host -}}
{{- end -}}
{{- end -}}

{{/* Refuse settings that would lose data or split the cluster, with one line saying what to set. */}}
{{- define "parley.validate" -}}
{{- if include "parley.multiNode" . -}}
{{- if not (or .Values.database.url .Values.existingSecret) -}}
{{- fail "parley: several replicas (replicaCount > 1 or autoscaling) need PostgreSQL: set database.url or existingSecret with DATABASE_URL" -}}
{{- end -}}
{{- if not (include "parley.kmsFromSecret" .) -}}
{{- fail "parley: several replicas need one shared KMS key: set secrets.kmsKey (openssl rand -hex 32) or existingSecret with master.key" -}}
{{- end -}}
{{- if and (not .Values.blobs.url) .Values.persistence.enabled (not (has "ReadWriteMany" .Values.persistence.accessModes)) (not .Values.persistence.existingClaim) -}}
{{- fail "parley: several replicas need attachment storage every node sees: set blobs.url, or persistence.accessModes [ReadWriteMany]" -}}
{{- end -}}
{{- if and (not .Values.blobs.url) (not .Values.persistence.enabled) -}}
{{- fail "parley: several replicas without persistence need blobs.url (shared attachment storage)" -}}
{{- end -}}
{{- end -}}
{{- with .Values.secrets.kmsKey -}}
{{- if not (regexMatch "^[0-9a-fA-F]{64}$" .) -}}
{{- fail "parley: secrets.kmsKey must be 64 hex digits (openssl rand -hex 32)" -}}
{{- end -}}
{{- end -}}
{{- range $k := list .Values.secrets.setupToken .Values.secrets.metricsToken -}}
{{- if and $k (lt (len $k) 16) -}}
{{- fail "parley: secrets.setupToken and secrets.metricsToken need 16 or more characters" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Labels of a calls component (coturn, janus): never the Parley pods' selector labels. */}}
{{- define "parley.componentLabels" -}}
app.kubernetes.io/name: {{ include "parley.name" .root }}-{{ .component }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}
