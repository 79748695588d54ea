namespace SlmCluster.Gateway.Serving;

/// <summary>
/// An adapter as a request names it: by <see cref="Name"/>, or by <see cref="Id"/>, its position in the model's adapter
/// list (llama-server's <c>lora[].id</c>), with its scale; <see cref="Param"/> is where a refusal points.
/// </summary>
public sealed record AdapterReference(string? Name, int? Id, float Scale, string Param);
