using SlmCluster.Eval;

return await EvalCommand.RunAsync(args, Console.Out, Console.Error, CancellationToken.None);
