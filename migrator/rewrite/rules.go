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
	}
}
