{{/* Names, labels and the CEL conditions shared by the templates. */}}

{{- define "lcg.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "lcg.fullname" -}}
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

{{- define "lcg.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "lcg.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "lcg.selectorLabels" -}}
app.kubernetes.io/name: {{ include "lcg.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "lcg.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "lcg.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "lcg.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{- define "lcg.configMapName" -}}{{ include "lcg.fullname" . }}-config{{- end -}}
{{- define "lcg.servingCertName" -}}{{ include "lcg.fullname" . }}-serving{{- end -}}
{{- define "lcg.caName" -}}{{ include "lcg.fullname" . }}-ca{{- end -}}

{{- define "lcg.servingSecretName" -}}
{{- if eq .Values.tls.source "secret" -}}
{{- .Values.tls.secretName -}}
{{- else -}}
{{- include "lcg.fullname" . }}-tls
{{- end -}}
{{- end -}}

{{/* The webhook configurations carry cainjector's annotation unless a CA bundle is given. */}}
{{- define "lcg.injectCA" -}}
{{- if and (eq .Values.tls.source "certManager") (not .Values.webhook.url) -}}true{{- end -}}
{{- end -}}

{{/*
Refuse combinations that would deadlock the cluster or leave the webhook unreachable.
Included by every template that depends on them, so `--show-only` still runs the checks.
*/}}
{{- define "lcg.validate" -}}
{{- $cfg := .Values.config -}}
{{- if eq .Release.Namespace $cfg.linkerdNamespace -}}
{{- fail (printf "install linkerd-cert-guard in its own namespace, not %q: its namespace is excluded from the webhook, and the identity issuer lives in the Linkerd namespace" .Release.Namespace) -}}
{{- end -}}
{{- if eq .Release.Namespace $cfg.trustNamespace -}}
{{- fail (printf "install linkerd-cert-guard in its own namespace, not %q: its namespace is excluded from the webhook, and the trust anchor lives in the trust namespace" .Release.Namespace) -}}
{{- end -}}
{{- range .Values.webhook.excludeNamespaces -}}
{{- if or (eq . $cfg.linkerdNamespace) (eq . $cfg.trustNamespace) -}}
{{- fail (printf "webhook.excludeNamespaces must not contain %q: Linkerd's certificates live there" .) -}}
{{- end -}}
{{- end -}}
{{- if and .Values.webhook.url (not .Values.webhook.caBundle) -}}
{{- fail "webhook.url needs webhook.caBundle (base64-encoded PEM of the CA that signed the webhook's serving certificate)" -}}
{{- end -}}
{{- if and .Values.webhook.url (not (hasPrefix "https://" .Values.webhook.url)) -}}
{{- fail (printf "webhook.url must start with https:// (got %q)" .Values.webhook.url) -}}
{{- end -}}
{{- if eq .Values.tls.source "secret" -}}
{{- if not .Values.tls.secretName -}}
{{- fail "tls.source=secret needs tls.secretName (a kubernetes.io/tls Secret in the release namespace)" -}}
{{- end -}}
{{- if not .Values.webhook.caBundle -}}
{{- fail "tls.source=secret needs webhook.caBundle (base64-encoded PEM of the CA that signed tls.secretName)" -}}
{{- end -}}
{{- end -}}
{{- if le (int .Values.terminationGracePeriodSeconds) (add .Values.server.preStopDelaySeconds .Values.server.drainDelaySeconds | int) -}}
{{- fail (printf "terminationGracePeriodSeconds (%v) must exceed server.preStopDelaySeconds + server.drainDelaySeconds (%v)" .Values.terminationGracePeriodSeconds (add .Values.server.preStopDelaySeconds .Values.server.drainDelaySeconds)) -}}
{{- end -}}
{{- end -}}

{{/*
CEL: true when the object bound to the variable named by .v can be a Linkerd Certificate
(identity issuer or trust anchor). Every optional field is guarded with has();
metadata.name is absent on a generateName CREATE seen by a mutating webhook.
Names are DNS names (checked by the schema), so toJson yields valid CEL string literals.
*/}}
{{- define "lcg.cel.certificate" -}}
{{- $v := .v -}}
{{- $cfg := .cfg -}}
{{- $names := concat (list $cfg.issuerName) $cfg.anchorNames | uniq -}}
{{- $cns := list (printf "identity.%s.%s" $cfg.linkerdNamespace $cfg.trustDomain) (printf "root.linkerd.%s" $cfg.trustDomain) "root.linkerd.cluster.local" | uniq -}}
{{- $identity := printf "identity.%s.%s" $cfg.linkerdNamespace $cfg.trustDomain -}}
({{ $v }} != null && (
  (has({{ $v }}.metadata.name) && {{ $v }}.metadata.name in {{ toJson $names }}) ||
  (has({{ $v }}.metadata.labels) && "linkerd-cert-guard.io/role" in {{ $v }}.metadata.labels) ||
  (has({{ $v }}.spec) && (
    (has({{ $v }}.spec.secretName) && {{ $v }}.spec.secretName in {{ toJson $names }}) ||
    (has({{ $v }}.spec.commonName) && {{ $v }}.spec.commonName in {{ toJson $cns }}) ||
    (has({{ $v }}.spec.dnsNames) && {{ $v }}.spec.dnsNames.exists(n, n == {{ toJson $identity }}))
  ))
))
{{- end -}}

{{/*
CEL: true when the object bound to .v can be Linkerd's trust bundle: a trust.cert-manager.io
Bundle (target.configMap.key) or a trust-manager.io ClusterBundle (target.configMap.data[].key),
or one that sources one of Linkerd's Secrets (issuer, anchors) whatever it is named.
*/}}
{{- define "lcg.cel.bundle" -}}
{{- $v := .v -}}
{{- $cfg := .cfg -}}
{{- $t := printf "%s.spec.target" $v -}}
{{- $secrets := toJson (prepend $cfg.anchorNames $cfg.issuerName) -}}
({{ $v }} != null && (
  (has({{ $v }}.metadata.name) && {{ $v }}.metadata.name == {{ toJson $cfg.bundleName }}) ||
  (has({{ $v }}.metadata.labels) && "linkerd-cert-guard.io/role" in {{ $v }}.metadata.labels) ||
  (has({{ $v }}.spec) && has({{ $v }}.spec.sources) && {{ $v }}.spec.sources.exists(s, has(s.secret) && has(s.secret.name) && s.secret.name in {{ $secrets }})) ||
  (has({{ $v }}.spec) && has({{ $v }}.spec.sourceRefs) && {{ $v }}.spec.sourceRefs.exists(s, has(s.kind) && s.kind == "Secret" && has(s.name) && s.name in {{ $secrets }})) ||
  (has({{ $v }}.spec) && has({{ $t }}) && (
    (has({{ $t }}.namespaceSelector) && (
      (has({{ $t }}.namespaceSelector.matchLabels) && {{ toJson $cfg.namespaceLabel }} in {{ $t }}.namespaceSelector.matchLabels) ||
      (has({{ $t }}.namespaceSelector.matchExpressions) && {{ $t }}.namespaceSelector.matchExpressions.exists(e, has(e.key) && e.key == {{ toJson $cfg.namespaceLabel }}))
    )) ||
    (has({{ $t }}.configMap) && (
      (has({{ $t }}.configMap.key) && {{ $t }}.configMap.key == {{ toJson $cfg.bundleKey }}) ||
      (has({{ $t }}.configMap.data) && {{ $t }}.configMap.data.exists(d, has(d.key) && d.key == {{ toJson $cfg.bundleKey }}))
    )) ||
    (has({{ $t }}.secret) && (
      (has({{ $t }}.secret.key) && {{ $t }}.secret.key == {{ toJson $cfg.bundleKey }}) ||
      (has({{ $t }}.secret.data) && {{ $t }}.secret.data.exists(d, has(d.key) && d.key == {{ toJson $cfg.bundleKey }}))
    ))
  ))
))
{{- end -}}

{{/* The webhook (its configurations, Deployment, Service, serving certificate) runs unless enforcement is policy. */}}
{{- define "lcg.webhookEnabled" -}}
{{- if ne .Values.enforcement "policy" -}}true{{- end -}}
{{- end -}}

{{/*
The configuration as the ValidatingAdmissionPolicies' first variables, a JSON list: the keys listed in
files/policies.json, each as a CEL literal (toJson of a DNS name, list or boolean is one), then the
per-rule severity overrides as one map. checks/policy/generate.ts configVariables makes the same list.
*/}}
{{- define "lcg.policy.configVariables" -}}
{{- $cfg := .cfg -}}
{{- $severities := dict -}}
{{- range $id, $o := $cfg.rules -}}
{{- if and (kindIs "map" $o) (hasKey $o "severity") -}}
{{- $_ := set $severities $id $o.severity -}}
{{- end -}}
{{- end -}}
{{- $vars := list -}}
{{- range $key := .keys -}}
{{- $vars = append $vars (dict "name" $key "expression" (index $cfg $key | toJson)) -}}
{{- end -}}
{{- append $vars (dict "name" "severities" "expression" (toJson $severities)) | toJson -}}
{{- end -}}

{{/* validationActions of a policy binding: .mode is config.mode, .action deny or warn. */}}
{{- define "lcg.policy.actions" -}}
{{- if eq .mode "audit" -}}["Warn","Audit"]
{{- else if eq .mode "repair" -}}["Warn"]
{{- else if eq .action "deny" -}}["Deny"]
{{- else -}}["Warn"]
{{- end -}}
{{- end -}}
