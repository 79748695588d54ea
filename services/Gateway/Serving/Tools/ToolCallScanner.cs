using System.Security.Cryptography;
using System.Text;
using SlmCluster.Protocol.V1;

namespace SlmCluster.Gateway.Serving.Tools;

/// <summary>
/// Reads a model's tool calls from its text as it arrives, in the exact shape of a <see cref="ToolCallSyntax"/> (the
/// grammar wrote it so): each call's id and name as soon as the name is complete, then its arguments' text in pieces.
/// Text that leaves the shape (a model run without its grammar) ends the reading; what was read stands.
/// </summary>
internal sealed class ToolCallScanner(ToolCallSyntax syntax)
{
    private const string IdAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    private readonly StringBuilder _name = new();
    private State _state = State.Literal;
    private string _literal = syntax.Start;
    private int _matched;
    private State _afterLiteral = State.Name;
    private int _index = -1;
    private int _depth;
    private bool _inString;
    private bool _escaped;

    private enum State
    {
        Literal,
        Name,
        Arguments,
        AfterArguments,
        AfterCall,
        Done,
    }

    /// <summary>How many calls have been read (their names complete).</summary>
    public int Calls => _index + 1;

    /// <summary>Whether the text so far left the syntax.</summary>
    public bool Broken { get; private set; }

    /// <summary>Whether the text so far is whole calls: the last one closed, and the calls' closing written where the syntax has one.</summary>
    public bool Complete => !Broken && (_state == State.Done || (_state == State.AfterCall && syntax.Closing.Length == 0));

    /// <summary>Reads <paramref name="text"/>; returns what it adds to the calls, at most one piece per call.</summary>
    public IReadOnlyList<ToolCall> Read(string text)
    {
        List<ToolCall>? pieces = null;
        StringBuilder? arguments = null;
        foreach (char c in text)
        {
            switch (_state)
            {
                case State.Literal:
                    if (c != _literal[_matched])
                    {
                        Break();
                        break;
                    }

                    if (++_matched == _literal.Length)
                    {
                        _state = _afterLiteral;
                    }

                    break;
                case State.Name:
                    if (c != '"')
                    {
                        _name.Append(c);
                        break;
                    }

                    Flush();
                    _index++;
                    Piece().Id = NewId();
                    Piece().Name = _name.ToString();
                    _name.Clear();
                    // The quote that ended the name opens NameEnd.
                    Expect(syntax.NameEnd[1..], State.Arguments);
                    break;
                case State.Arguments:
                    (arguments ??= new StringBuilder()).Append(c);
                    if (Scan(c))
                    {
                        _state = State.AfterArguments;
                    }

                    break;
                case State.AfterArguments:
                    if (char.IsWhiteSpace(c))
                    {
                        break;
                    }

                    _literal = syntax.CallEnd;
                    _matched = 0;
                    _afterLiteral = State.AfterCall;
                    _state = State.Literal;
                    goto case State.Literal;
                case State.AfterCall:
                    _matched = 0;
                    _state = State.Literal;
                    if (syntax.Separator.Length > 0 && c == syntax.Separator[0])
                    {
                        _literal = syntax.Separator + syntax.CallStart;
                        _afterLiteral = State.Name;
                    }
                    else if (syntax.Closing.Length > 0)
                    {
                        _literal = syntax.Closing;
                        _afterLiteral = State.Done;
                    }
                    else
                    {
                        Break();
                        break;
                    }

                    goto case State.Literal;
                case State.Done:
                    if (!char.IsWhiteSpace(c))
                    {
                        Break();
                    }

                    break;
            }
        }

        Flush();
        return pieces ?? (IReadOnlyList<ToolCall>)[];

        ToolCall Piece()
        {
            pieces ??= [];
            if (pieces.Count == 0 || pieces[^1].Index != _index)
            {
                pieces.Add(new ToolCall { Index = _index });
            }

            return pieces[^1];
        }

        void Flush()
        {
            if (arguments is { Length: > 0 })
            {
                Piece().Arguments += arguments.ToString();
                arguments.Clear();
            }
        }
    }

    private void Expect(string literal, State next)
    {
        _literal = literal;
        _matched = 0;
        _afterLiteral = next;
        _state = State.Literal;
        _depth = 0;
        _inString = false;
        _escaped = false;
    }

    private void Break()
    {
        Broken = true;
        _state = State.Done;
    }

    /// <summary>Follows the arguments' JSON; true at the character that closes it.</summary>
    private bool Scan(char c)
    {
        if (_inString)
        {
            if (_escaped)
            {
                _escaped = false;
            }
            else if (c == '\\')
            {
                _escaped = true;
            }
            else if (c == '"')
            {
                _inString = false;
            }

            return false;
        }

        switch (c)
        {
            case '"':
                _inString = true;
                return false;
            case '{' or '[':
                _depth++;
                return false;
            case '}' or ']':
                return --_depth == 0;
            default:
                return false;
        }
    }

    /// <summary>OpenAI's shape of a call id: <c>call_</c> and 24 random letters and digits.</summary>
    private static string NewId() => "call_" + RandomNumberGenerator.GetString(IdAlphabet, 24);
}
