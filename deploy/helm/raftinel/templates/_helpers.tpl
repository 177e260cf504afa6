{{/* Names and labels, the usual Helm way. */}}
{{- define "raftinel.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "raftinel.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* The headless Service that gives each pod its stable DNS name. */}}
{{- define "raftinel.headless" -}}
{{- printf "%s-headless" (include "raftinel.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "raftinel.selectorLabels" -}}
app.kubernetes.io/name: {{ include "raftinel.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "raftinel.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "raftinel.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* The Secret holding raft-secret: the user's, or the one this chart makes. */}}
{{- define "raftinel.raftSecretName" -}}
{{- default (printf "%s-raft-secret" (include "raftinel.fullname" .)) .Values.raftSecret.existingSecret }}
{{- end }}

{{- define "raftinel.raftSecretKey" -}}
{{- if .Values.raftSecret.existingSecret }}{{ .Values.raftSecret.key }}{{ else }}raft-secret{{ end }}
{{- end }}

{{/*
A pod's DNS name with the namespace left as @POD_NAMESPACE@, which
write-config.sh fills in from the downward API: (list $ "0") or (list $ "@POD_NAME@").
*/}}
{{- define "raftinel.podHost" -}}
{{- $root := index . 0 -}}
{{- $pod := index . 1 -}}
{{- printf "%s.%s.@POD_NAMESPACE@.svc.%s" $pod (include "raftinel.headless" $root) $root.Values.clusterDomain }}
{{- end }}

{{/* maxUnavailable: what the Raft quorum can lose, unless set. */}}
{{- define "raftinel.maxUnavailable" -}}
{{- if kindIs "invalid" .Values.podDisruptionBudget.maxUnavailable }}
{{- div (sub (int .Values.replicaCount) 1) 2 }}
{{- else }}
{{- .Values.podDisruptionBudget.maxUnavailable }}
{{- end }}
{{- end }}
