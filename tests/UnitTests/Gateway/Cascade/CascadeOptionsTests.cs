using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SlmCluster.Gateway.Cascade;

namespace SlmCluster.UnitTests.Gateway.Cascade;

/// <summary>
/// <c>Gateway:Cascade</c> as the gateway binds and validates it at start: the documented shape loads, and every
/// mistake stops the start with a message that names the key to fix.
/// </summary>
public sealed class CascadeOptionsTests
{
    private const string Secret = "sk-live-do-not-print-4f9a";

    /// <summary>The example of docs/configuration.md.</summary>
    private const string Documented = $$"""
        { "Gateway": { "Cascade": { "Routes": { "auto": {
          "Tiers": [
            { "Name": "small", "Model": "stories", "Accept": { "MinMeanLogprob": -1.5, "MinTokenLogprob": -8.0 }, "SkipWhenPromptTokensOver": 512 },
            { "Name": "large", "Model": "tinystories", "Accept": { "MinMeanLogprob": -2.0 } },
            { "Name": "flagship", "External": { "BaseUrl": "https://provider.example/v1", "Model": "big-model", "ApiKey": "{{Secret}}",
              "InputUsdPerMillionTokens": 2.5, "OutputUsdPerMillionTokens": 10, "Timeout": "00:00:30" } } ],
          "OnLastTierFailure": "BestLowerTier"
        } } } } }
        """;

    private static CascadeOptions Load(IConfiguration config)
    {
        var services = new ServiceCollection().AddSingleton(config).AddLogging();
        services.AddCascadeRoutes(config);
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptions<CascadeOptions>>().Value;
    }

    private static CascadeOptions LoadJson(string json) =>
        Load(new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build());

    /// <summary>A route in JSON, its failures as the start reports them.</summary>
    private static IReadOnlyList<string> Failures(string routeJson) =>
        Assert.Throws<OptionsValidationException>(() => LoadJson($$"""{ "Gateway": { "Cascade": { "Routes": { "auto": {{routeJson}} } } } }""")).Failures.ToList();

    [Fact]
    public void The_documented_route_loads_with_its_rules_prices_and_fallback()
    {
        var route = new CascadeRoute("auto", LoadJson(Documented).Routes["auto"]);

        Assert.Equal(["small", "large", "flagship"], route.Tiers.Select(t => t.Name));
        Assert.Equal((-1.5, -8.0), (route.Tiers[0].Accept!.MinMeanLogprob, route.Tiers[0].Accept!.MinTokenLogprob));
        Assert.Equal(512, route.Tiers[0].SkipWhenPromptTokensOver);
        Assert.Null(route.Tiers[1].Accept!.MinTokenLogprob);
        Assert.Equal(("big-model", 2.5, 10.0, TimeSpan.FromSeconds(30)),
            (route.LastTier.External!.Model, route.LastTier.External.InputUsdPerMillionTokens, route.LastTier.External.OutputUsdPerMillionTokens, route.LastTier.External.Timeout));
        Assert.Equal(LastTierFailure.BestLowerTier, route.OnLastTierFailure);
        Assert.Equal("cascade:auto:2", route.LastTier.HttpClientName);
    }

    [Fact]
    public void An_empty_rule_in_json_or_on_the_command_line_is_a_rule_that_accepts()
    {
        var json = LoadJson("""{ "Gateway": { "Cascade": { "Routes": { "any": { "Tiers": [ { "Model": "a", "Accept": {} }, { "Model": "b" } ] } } } } }""");
        var commandLine = Load(new ConfigurationBuilder().AddCommandLine([
            "--Gateway:Cascade:Routes:any:Tiers:0:Model=a", "--Gateway:Cascade:Routes:any:Tiers:0:Accept=", "--Gateway:Cascade:Routes:any:Tiers:1:Model=b"]).Build());

        foreach (var options in new[] { json, commandLine })
        {
            var accept = options.Routes["any"].Tiers[0].Accept;
            Assert.NotNull(accept);
            Assert.False(accept.HasThresholds);
        }
    }

    [Fact]
    public void A_misspelt_setting_is_refused_naming_it_and_the_settings_there_are()
    {
        var failure = Assert.Single(Failures("""{ "Tiers": [ { "Model": "a", "Acept": { "MinMeanLogprob": -1 } }, { "Model": "b" } ] }"""), f => f.Contains("Acept"));

        Assert.StartsWith("Gateway:Cascade:Routes:auto:Tiers:0:Acept is not a setting of a cascade tier", failure);
        Assert.Contains("Name, Model, Accept, SkipWhenPromptTokensOver, External", failure);
    }

    [Fact]
    public void Unknown_settings_are_found_at_every_level()
    {
        var failures = Assert.Throws<OptionsValidationException>(() => LoadJson("""
            { "Gateway": { "Cascade": { "Route": {}, "Routes": { "auto": { "Fallback": "x", "Tiers": [
              { "Model": "a", "Accept": { "MeanLogprob": -1 } },
              { "External": { "BaseUrl": "https://p.example/v1", "Model": "m", "Key": "x" } } ] } } } } }
            """)).Failures;

        Assert.Contains(failures, f => f.StartsWith("Gateway:Cascade:Route is not a setting of the cascade section", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Gateway:Cascade:Routes:auto:Fallback is not a setting of a cascade route", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Gateway:Cascade:Routes:auto:Tiers:0:Accept:MeanLogprob is not a setting of an acceptance rule", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Gateway:Cascade:Routes:auto:Tiers:1:External:Key is not a setting of an external tier", StringComparison.Ordinal));
    }

    [Fact]
    public void A_route_without_tiers_is_refused()
    {
        var failure = Assert.Single(Failures("""{ "OnLastTierFailure": "Error" }"""));

        Assert.StartsWith("Gateway:Cascade:Routes:auto:Tiers is empty", failure);
    }

    [Fact]
    public void A_tier_is_a_cluster_model_or_an_external_endpoint_never_both_nor_neither()
    {
        var failures = Failures("""
            { "Tiers": [ { "Name": "none", "Accept": {} },
              { "Model": "b", "External": { "BaseUrl": "https://p.example/v1", "Model": "m" } } ] }
            """);

        Assert.Contains(failures, f => f.StartsWith("Gateway:Cascade:Routes:auto:Tiers:0 must have exactly one of Model", StringComparison.Ordinal) && f.EndsWith("it has neither.", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Gateway:Cascade:Routes:auto:Tiers:1 must have exactly one of Model", StringComparison.Ordinal) && f.EndsWith("it has both.", StringComparison.Ordinal));
    }

    [Fact]
    public void Every_tier_but_the_last_needs_a_rule_and_the_last_may_not_have_one()
    {
        var failures = Failures("""{ "Tiers": [ { "Model": "a" }, { "Model": "b", "Accept": { "MinMeanLogprob": -1 } } ] }""");

        Assert.Contains(failures, f => f.StartsWith("Gateway:Cascade:Routes:auto:Tiers:0 has no Accept rule", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Gateway:Cascade:Routes:auto:Tiers:1 is the route's last tier and has an Accept rule", StringComparison.Ordinal));
    }

    [Fact]
    public void A_threshold_above_zero_is_allowed_it_just_always_escalates()
    {
        var options = LoadJson("""{ "Gateway": { "Cascade": { "Routes": { "drill": { "Tiers": [ { "Model": "a", "Accept": { "MinMeanLogprob": 1 } }, { "Model": "b" } ] } } } } }""");

        Assert.Equal(1, options.Routes["drill"].Tiers[0].Accept!.MinMeanLogprob);
    }

    [Fact]
    public void An_external_tier_is_only_allowed_last()
    {
        var failures = Failures("""
            { "Tiers": [ { "External": { "BaseUrl": "https://p.example/v1", "Model": "m" }, "Accept": {} }, { "Model": "b" } ] }
            """);

        Assert.Contains(failures, f => f.StartsWith("Gateway:Cascade:Routes:auto:Tiers:0:External is allowed on the route's last tier only", StringComparison.Ordinal));
    }

    [Fact]
    public void Skipping_by_prompt_length_needs_a_later_tier_and_a_positive_count()
    {
        var failures = Failures("""{ "Tiers": [ { "Model": "a", "Accept": {}, "SkipWhenPromptTokensOver": 0 }, { "Model": "b", "SkipWhenPromptTokensOver": 10 } ] }""");

        Assert.Contains(failures, f => f.StartsWith("Gateway:Cascade:Routes:auto:Tiers:0:SkipWhenPromptTokensOver is 0", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Gateway:Cascade:Routes:auto:Tiers:1:SkipWhenPromptTokensOver is set on the route's last tier", StringComparison.Ordinal));
    }

    [Fact]
    public void A_tier_may_not_name_a_route_and_tier_names_are_unique()
    {
        var failures = Assert.Throws<OptionsValidationException>(() => LoadJson("""
            { "Gateway": { "Cascade": { "Routes": {
              "auto": { "Tiers": [ { "Name": "t", "Model": "a", "Accept": {} }, { "Name": "t", "Model": "other" } ] },
              "other": { "Tiers": [ { "Model": "a" } ] } } } } }
            """)).Failures;

        Assert.Contains(failures, f => f.StartsWith("Gateway:Cascade:Routes:auto:Tiers:1:Model is 'other', which is a cascade route", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Gateway:Cascade:Routes:auto:Tiers:1:Name 't' is used by an earlier tier", StringComparison.Ordinal));
    }

    [Fact]
    public void An_unusable_external_endpoint_is_refused_without_repeating_its_key()
    {
        var failures = Failures($$"""
            { "Tiers": [ { "Model": "a", "Accept": {} }, { "External": { "BaseUrl": "https://user:{{Secret}}@p.example/v1", "Model": " ",
              "ApiKey": "{{Secret}}", "InputUsdPerMillionTokens": -1, "Timeout": "00:00:00" } } ] }
            """);

        Assert.Contains(failures, f => f.StartsWith("Gateway:Cascade:Routes:auto:Tiers:1:External:BaseUrl must not carry credentials", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Gateway:Cascade:Routes:auto:Tiers:1:External:Model is empty", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("InputUsdPerMillionTokens and OutputUsdPerMillionTokens", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Gateway:Cascade:Routes:auto:Tiers:1:External:Timeout is 00:00:00", StringComparison.Ordinal));
        Assert.DoesNotContain(failures, f => f.Contains(Secret, StringComparison.Ordinal));
    }

    [Fact]
    public void An_unknown_fallback_stops_the_start_naming_the_key()
    {
        var failure = Assert.Single(Failures("""{ "OnLastTierFailure": "Retry", "Tiers": [ { "Model": "a" } ] }"""));

        Assert.Equal("Gateway:Cascade:Routes:auto:OnLastTierFailure is 'Retry'; use Error or BestLowerTier.", failure);
    }

    [Fact]
    public void No_cascade_section_means_no_routes()
    {
        Assert.Empty(LoadJson("""{ "Gateway": { } }""").Routes);
    }
}
