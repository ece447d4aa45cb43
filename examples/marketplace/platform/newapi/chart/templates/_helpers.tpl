{{- /* The channel list as compliance_rules.gateway.compose_channels models the real chart's helper. */ -}}
{{- define "bp-newapi.effectiveChannels" -}}
{{- $all := list -}}
{{- $defaults := .Values.defaultChannels | default dict -}}
{{- $partner := $defaults.qwenPartner | default dict -}}
{{- if $partner.enabled -}}
{{- $attested := $partner.attestation | default (dict "kind" "commercial-contract") -}}
{{- $all = append $all (merge (dict "type" "openai-compatible" "attestation" $attested) $partner) -}}
{{- end -}}
{{- range (.Values.channels | default list) -}}
{{- $all = append $all . -}}
{{- end -}}
{{- $vllm := $defaults.vllm | default dict -}}
{{- if and $vllm.enabled $vllm.endpoint -}}
{{- $attested := $vllm.attestation | default (dict "kind" "in-cluster") -}}
{{- $all = append $all (merge (dict "type" "vllm" "attestation" $attested) $vllm) -}}
{{- end -}}
{{- toYaml $all -}}
{{- end -}}
