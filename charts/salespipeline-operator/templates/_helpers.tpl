{{/* Chart name, truncated to the 63 characters of a label value. */}}
{{- define "salespipeline-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name of the release's objects: <release> if it already contains the chart name, else <release>-<chart>. */}}
{{- define "salespipeline-operator.fullname" -}}
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

{{- define "salespipeline-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "salespipeline-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "salespipeline-operator.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "salespipeline-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: salespipeline
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "salespipeline-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "salespipeline-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "salespipeline-operator.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{- define "salespipeline-operator.leaseName" -}}
{{- default (include "salespipeline-operator.fullname" .) .Values.leaderElection.leaseName }}
{{- end }}

{{/* Name of the pre-delete hook's objects. */}}
{{- define "salespipeline-operator.cleanupName" -}}
{{- include "salespipeline-operator.suffixed" (list . "cleanup") }}
{{- end }}

{{/* "<fullname>-<suffix>", the full name shortened so that the result fits 63 characters. Call with (list . "suffix"). */}}
{{- define "salespipeline-operator.suffixed" -}}
{{- $ctx := index . 0 }}
{{- $suffix := index . 1 }}
{{- printf "%s-%s" (include "salespipeline-operator.fullname" $ctx | trunc (int (sub 62 (len $suffix))) | trimSuffix "-") $suffix }}
{{- end }}
