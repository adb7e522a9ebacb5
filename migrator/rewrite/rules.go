package rewrite

// RuleConfig holds the options of every rule; zero values take the defaults.
type RuleConfig struct {
	Runner RunnerOptions
}

// DefaultRules is the rule set, in the order the rules run: adding a rule is
// one line here and the rule's own files.
func DefaultRules(cfg RuleConfig) []Rule {
	return []Rule{
		NewRunnerRule(cfg.Runner),
		// the Kestra 2.0 rewrites (kestra-io/kestra2-flow-migration), then the detections
		TypeRenamesRule{},
		InputIDRule{},
		InputTypesRule{},
		MultiselectValuesRule{},
		InputRequiredDefaultsRule{},
		MaxAttemptsRule{},
		PauseDurationRule{},
		FetchTypeRule{},
		CancelledStateRule{},
		HTTPBasicAuthRule{},
		HTTPOptionsRule{},
		LocalDeleteRecursiveRule{},
		RemovedPropertiesRule{},
		PebbleJSONRule{},
		ChecksWhenRule{},
		PurgeKVBehaviorRule{},
		EEGitCloneRule{},
		PluginDefaultsNameRule{},
		NewRemovedTypesRule(),
		NewStateStoreRule(),
		NewSDKAuthRule(),
		NewPluginDefaultsRule(),
		NewTriggerConditionsRule(),
		NewTriggerInputsRule(),
		NewWorkerGroupRule(),
		NewReservedFlowIDRule(),
		NewPebbleVersionArgRule(),
		NewIonReadRule(),
	}
}
